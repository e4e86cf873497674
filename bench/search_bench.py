"""Archive search latency at scale: fills the archive with N realistic documents (sentences of the seed
texts), then times `archive.search.search` as a member would call it, and prints JSON.

    python -m bench.search_bench                                 # SQLite (temp file), 100,000 documents
    python -m bench.search_bench --database-url postgresql+asyncpg://postgres@127.0.0.1/loa_bench
    python -m bench.search_bench --database-url sqlite --database-url postgresql+asyncpg://...

Each URL is migrated first; the benchmark's documents are deleted afterwards (use a scratch database).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import statistics
import tempfile
import time
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select

from archive.document_numbers import CODE_OF_KIND, DocumentKind
from archive.documents import index_text, sync_fulltext
from archive.models import Document
from archive.sample import sample_documents
from archive.search import Viewer, ancestors_of, search
from archive.tables import DocumentIndex
from config.settings import Environment, Settings
from storage.db import Database
from storage.migrate import upgrade

ISSUERS = ["LĐLĐ", "TLĐ", "TU", "TW", "CĐN", "LĐLĐ-VP", "BTG"]
QUERIES = [
    "chi thi 07",
    "178",
    "cai cach hanh chinh",
    "thong tin co so",
    "ke hoach 98",
    "bao cao so ket",
    "tuyen truyen cong doan",
    "doan kiem tra",
    "nghi quyet 05",
    "thang cong nhan",
    "cchc",
    "4821",
]
BATCH = 5000


def sentences() -> list[str]:
    """Sentences of the sample archive, the vocabulary of the generated documents."""
    text = " ".join(doc.body for doc in sample_documents())
    parts = [re.sub(r"[*#<>]+|\s+", " ", s).strip() for s in re.split(r"(?<=[.;:])\s+|\n+", text)]
    return [s for s in parts if 25 <= len(s) <= 400]


def fake_rows(n: int, start: int, pool: list[str], rng: random.Random) -> list[dict[str, Any]]:
    kinds = list(DocumentKind)
    rows = []
    for i in range(start, start + n):
        kind = rng.choice(kinds)
        code, issuer = CODE_OF_KIND[kind], rng.choice(ISSUERS)
        number = (
            f"{i % 5000 + 1}/{code}-{issuer}" if rng.random() < 0.7 else f"{i % 900 + 1:02d}-{code}/{issuer}"
        )
        rows.append(
            {
                "kind": kind.value,
                "number": number,
                "issuer": f"Liên đoàn Lao động {issuer}",
                "subject": rng.choice(pool)[:300],
                "body": " ".join(rng.sample(pool, 4)),
                "issued_on": date(2015, 1, 1) + timedelta(days=rng.randrange(4000)),
            }
        )
    return rows


async def fill(db: Database, n: int, pool: list[str], seed: int) -> tuple[int, int, float]:
    rng = random.Random(seed)
    paths = [f"/1/{d}/" for d in range(2, 30)] + [
        f"/1/{d}/{d * 100 + g}/" for d in range(2, 30) for g in range(8)
    ]
    started = time.perf_counter()
    first = last = 0
    for offset in range(0, n, BATCH):
        rows = fake_rows(min(BATCH, n - offset), offset, pool, rng)
        async with db.transaction() as s:
            ids = list(await s.scalars(insert(Document).returning(Document.id), rows))
            index_rows = [
                {
                    "document_id": doc_id,
                    "number_value": int(re.match(r"\d+", r["number"]).group(0)),  # type: ignore[union-attr]
                    "kind_code": CODE_OF_KIND[DocumentKind(r["kind"])],
                    "visibility_path": None if rng.random() < 0.5 else rng.choice(paths),
                    "head": index_text(r["kind"], r["number"], r["issuer"], r["subject"]),
                    "body": index_text(r["body"]),
                    "issued_on": r["issued_on"],
                }
                for doc_id, r in zip(ids, rows, strict=True)
            ]
            await s.execute(insert(DocumentIndex), index_rows)
            await sync_fulltext(s, document_ids=ids)
        first, last = first or ids[0], ids[-1]
    return first, last, time.perf_counter() - started


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


async def measure(url: str, n: int, rounds: int, seed: int) -> dict[str, Any]:
    settings = Settings(_env_file=None, environment=Environment.test, database_url=url)
    db = Database(settings)
    try:
        await upgrade(db.engine)
        async with db.transaction() as s:
            before = await s.scalar(select(func.count()).select_from(Document)) or 0
        first, last, fill_seconds = await fill(db, n, sentences(), seed)
        if db.engine.dialect.name == "postgresql":
            async with db.engine.connect() as conn:  # as autovacuum would, after a bulk load
                auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await auto.exec_driver_sql("VACUUM ANALYZE document_index")
                await auto.exec_driver_sql("ANALYZE documents")
        viewer = Viewer(frozenset(ancestors_of("/1/7/717/")))
        timings: dict[str, list[float]] = {q: [] for q in QUERIES}
        hits: dict[str, int] = {}
        for r in range(rounds + 1):
            for q in QUERIES:
                t0 = time.perf_counter()
                async with db.transaction() as s:
                    page = await search(s, viewer=viewer, text=q, page=r % 3)
                elapsed = (time.perf_counter() - t0) * 1000
                if r > 0:  # the first round warms caches and connections
                    timings[q].append(elapsed)
                else:
                    hits[q] = len(page.hits)
        every = [t for ts in timings.values() for t in ts]
        async with db.transaction() as s:
            await s.execute(delete(DocumentIndex).where(DocumentIndex.document_id.between(first, last)))
            await s.execute(delete(Document).where(Document.id.between(first, last)))
            if db.engine.dialect.name == "sqlite":
                from sqlalchemy import text

                await s.execute(
                    text("DELETE FROM document_fts WHERE rowid BETWEEN :a AND :b"), {"a": first, "b": last}
                )
        return {
            "backend": db.engine.dialect.name,
            "documents": n + before,
            "fill_seconds": round(fill_seconds, 1),
            "searches": len(every),
            "p50_ms": round(statistics.median(every), 2),
            "p95_ms": round(percentile(every, 95), 2),
            "max_ms": round(max(every), 2),
            "by_query_p95_ms": {q: round(percentile(ts, 95), 2) for q, ts in timings.items()},
            "first_page_hits": hits,
        }
    finally:
        await db.dispose()


async def main_async(args: argparse.Namespace) -> list[dict[str, Any]]:
    urls = args.database_url or ["sqlite"]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for url in urls:
            real = f"sqlite+aiosqlite:///{tmp}/search_bench.db" if url == "sqlite" else url
            results.append(await measure(real, args.documents, args.rounds, args.seed))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20, help="times each query is timed")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--database-url", action="append", help="repeatable; 'sqlite' means a temporary SQLite file (default)"
    )
    args = parser.parse_args()
    results = asyncio.run(main_async(args))
    print(
        json.dumps(
            {"benchmark": "archive_search", "target_p95_ms_postgresql": 100, "results": results}, indent=2
        )
    )


if __name__ == "__main__":
    main()
