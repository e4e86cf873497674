"""Searching the archive: folded words (no diacritics), every word must match (words by prefix,
numbers exactly — `07` also as `7`), ranked with the document's own number on top, then matches in
its kind, number, subject and tags, then matches in its body only; newest first among equals.

Matching uses the database's own full-text search — PostgreSQL: GIN-indexed
`to_tsvector('simple', folded)` vectors of `document_index`; SQLite: the FTS5 table `document_fts`,
or LIKE over the folded columns when FTS5 is missing — and the ranking is the same on all three
(see `_ranked`), so one archive gives the same pages on every backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import column, table

from archive.document_numbers import KIND_CODES
from archive.documents import has_fts5, search_words
from archive.models import Document
from archive.tables import DocumentIndex
from directory.access import Scope
from directory.models import Role
from directory.tree import dialect_of, in_subtrees, is_within

PAGE_SIZE = 5
VOCABULARY_ROWS = 5000  # heads read to suggest a spelling; far more than a union's directives in force
_KIND_WORDS = {code.lower().replace("đ", "d"): code for code in KIND_CODES}
_FTS = table("document_fts", column("rowid"), column("head"), column("body"))
NUMBER_BONUS = 100.0
HEAD_BONUS = 10.0
_RECENT = (DocumentIndex.issued_on.desc().nulls_last(), DocumentIndex.document_id.desc())


def ancestors_of(path: str) -> list[str]:
    """`/1/7/42/` → ['/1/', '/1/7/', '/1/7/42/']."""
    ids = [p for p in path.split("/") if p]
    return ["/" + "/".join(ids[: i + 1]) + "/" for i in range(len(ids))]


@dataclass(frozen=True)
class Viewer:
    """What a person may see: documents whose visibility root is an ancestor-or-self of one of their
    units, and (officers) every document whose root lies inside the subtree they serve."""

    paths_up: frozenset[str] = frozenset()
    subtree_roots: tuple[str, ...] = ()
    everything: bool = False

    @classmethod
    def of(cls, scope: Scope) -> Viewer:
        up: set[str] = set()
        for g in scope.grants:
            up.update(ancestors_of(g.unit_path))
        return cls(frozenset(up), tuple(scope.roots(Role.officer)))

    def may_see(self, visibility_path: str | None) -> bool:
        return (
            self.everything
            or visibility_path is None
            or visibility_path in self.paths_up
            or any(is_within(visibility_path, r) for r in self.subtree_roots)
        )

    def condition(self, dialect: str) -> ColumnElement[bool]:
        col = DocumentIndex.visibility_path
        if self.everything:
            return literal(True)
        terms: list[ColumnElement[bool]] = [col.is_(None)]
        if self.paths_up:
            terms.append(col.in_(sorted(self.paths_up)))
        if self.subtree_roots:
            terms.append(in_subtrees(col, self.subtree_roots, dialect=dialect))
        return or_(*terms)


@dataclass(frozen=True)
class Hit:
    document_id: int
    kind: str
    number: str
    issuer: str
    subject: str
    issued_on: date | None
    rank: float


@dataclass
class Page:
    hits: list[Hit] = field(default_factory=list)
    page: int = 0
    has_next: bool = False


@dataclass(frozen=True)
class Query:
    words: tuple[str, ...]
    numbers: tuple[int, ...]

    @classmethod
    def parse(cls, raw: str) -> Query:
        words = search_words(raw)
        # `so 178` (số 178): the word `số` only announces the number
        kept = [
            w
            for i, w in enumerate(words)
            if not (w == "so" and i + 1 < len(words) and words[i + 1].isdigit())
        ]
        return cls(tuple(dict.fromkeys(kept)), tuple(dict.fromkeys(int(w) for w in kept if w.isdigit())))

    def tsquery(self) -> str:
        return " & ".join(f"({w} | {int(w)})" if w.isdigit() else f"{w}:*" for w in self.words)

    def fts5(self) -> str:
        return " AND ".join(f'("{w}" OR "{int(w)}")' if w.isdigit() else f'"{w}"*' for w in self.words)


def _like_predicates(query: Query) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    head = literal(" ") + DocumentIndex.head + literal(" ")
    whole = head + DocumentIndex.body + literal(" ")
    in_all: list[ColumnElement[bool]] = []
    in_head: list[ColumnElement[bool]] = []
    for w in query.words:
        forms = [f"% {w} %", f"% {int(w)} %"] if w.isdigit() else [f"% {w}%"]
        in_all.append(or_(*[whole.like(f) for f in forms]))
        in_head.append(or_(*[head.like(f) for f in forms]))
    return and_(*in_all), and_(*in_head)


async def _predicates(session: AsyncSession, query: Query) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """(matches anywhere, matches in the head) with the database's own full-text search."""
    idx = DocumentIndex
    if session.bind.dialect.name == "postgresql":
        tsq = func.to_tsquery(literal_column("'simple'"), query.tsquery())
        return idx.vector.op("@@")(tsq), idx.head_vector.op("@@")(tsq)
    if await has_fts5(session):
        fts: ColumnElement[Any] = literal_column("document_fts")

        def matching(expr: str) -> ColumnElement[bool]:
            return idx.document_id.in_(select(_FTS.c.rowid).where(fts.op("MATCH")(expr)))

        return matching(query.fts5()), matching("{head} : (" + query.fts5() + ")")
    return _like_predicates(query)


async def _ranked(
    session: AsyncSession, *, query: Query, viewer: Viewer, want: int
) -> list[tuple[int, float]]:
    """Rank by tier — the document's own number, then a match in its kind, number, subject or tags
    (the head), then in the body only — newest first within a tier. Each tier is one small query
    ordered by date with a LIMIT: PostgreSQL walks the date index for a common word or the GIN index
    for a rare one, and nothing is scored row by row over every match."""
    idx = DocumentIndex
    in_all, in_head = await _predicates(session, query)
    tiers: list[tuple[float, ColumnElement[bool]]] = []
    if query.numbers:
        own = idx.number_value.in_(query.numbers)
        other = or_(idx.number_value.is_(None), ~own)
        tiers += [
            (NUMBER_BONUS + HEAD_BONUS, and_(own, in_all)),
            (HEAD_BONUS, and_(in_head, other)),
            (0.0, and_(in_all, ~in_head, other)),
        ]
    else:
        tiers += [(HEAD_BONUS, in_head), (0.0, and_(in_all, ~in_head))]
    ranked: list[tuple[int, float]] = []
    for score, condition in tiers:
        if len(ranked) >= want:
            break
        ids = await session.scalars(
            select(idx.document_id)
            .where(condition, viewer.condition(dialect_of(session)))
            .order_by(*_RECENT)
            .limit(want - len(ranked))
        )
        ranked += [(int(i), score) for i in ids]
    return ranked


def document_number_of(words: Sequence[str]) -> tuple[int, str] | None:
    """(number, kind code) when the words are a document's number and symbol in any written form:
    `07/CT-TLĐ`, `07-CT/TLĐ`, `07/ct-tld`, `52/2016/QĐ-TTg` all fold to `07 ct tld`, `52 2016 qd ttg`."""
    rest = list(words)
    if rest[:1] == ["so"]:
        rest = rest[1:]
    if len(rest) < 2 or not rest[0].isdigit():
        return None
    if len(rest) > 2 and len(rest[1]) == 4 and rest[1].isdigit():
        rest = [rest[0], *rest[2:]]  # the year of a state document
    code = _KIND_WORDS.get(rest[1])
    if code is None or len(rest) > 4:
        return None
    return int(rest[0]), code


async def _by_document_number(
    session: AsyncSession, *, viewer: Viewer, number: int, code: str, page: int, page_size: int
) -> list[tuple[int, float]]:
    idx = DocumentIndex
    ids = await session.scalars(
        select(idx.document_id)
        .where(idx.number_value == number, idx.kind_code == code, viewer.condition(dialect_of(session)))
        .order_by(*_RECENT)
        .limit((page + 1) * page_size + 1)
    )
    return [(int(i), NUMBER_BONUS + HEAD_BONUS) for i in ids]


async def search(
    session: AsyncSession, *, viewer: Viewer, text: str, page: int = 0, page_size: int = PAGE_SIZE
) -> Page:
    """Rank inside `document_index` alone; the documents table is read only for the page's rows.
    A document's number and symbol finds exactly the documents with that number and kind, whatever
    the issuer's spelling; nothing found is an honest empty page."""
    query = Query.parse(text)
    if not query.words:
        return Page(page=page)
    want = (page + 1) * page_size + 1
    numbered = document_number_of(search_words(text))
    if numbered is not None:
        ranked = await _by_document_number(
            session, viewer=viewer, number=numbered[0], code=numbered[1], page=page, page_size=page_size
        )
    else:
        ranked = await _ranked(session, query=query, viewer=viewer, want=want)
    ranked = ranked[page * page_size :]
    shown = ranked[:page_size]
    docs = {
        d.id: d for d in await session.scalars(select(Document).where(Document.id.in_([i for i, _ in shown])))
    }
    hits = [
        Hit(i, docs[i].kind, docs[i].number, docs[i].issuer, docs[i].subject, docs[i].issued_on, r)
        for i, r in shown
        if i in docs
    ]
    return Page(hits=hits, page=page, has_next=len(ranked) > page_size)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insert, delete, substitute): words are short, so the plain table is enough."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


async def suggest(session: AsyncSession, *, viewer: Viewer, text: str) -> str | None:
    """The query with each unknown word replaced by the closest word of the visible documents' numbers,
    kinds, subjects and tags (one or two typos: `chi thj`, `thong tim`); None when nothing is close."""
    words = search_words(text)
    if document_number_of(words) is not None:
        return None  # a number and symbol is exact: a near one is another document
    heads = await session.scalars(
        select(DocumentIndex.head)
        .where(viewer.condition(dialect_of(session)))
        .order_by(*_RECENT)
        .limit(VOCABULARY_ROWS)
    )
    vocabulary = {w for head in heads for w in head.split()}
    fixed: list[str] = []
    for word in words:
        if word in vocabulary or word.isdigit():
            fixed.append(word)
            continue
        allowed = 1 if len(word) <= 4 else 2
        close = sorted(
            (d, v)
            for v in vocabulary
            if abs(len(v) - len(word)) <= allowed and (d := edit_distance(word, v)) <= allowed
        )
        if not close:
            return None
        fixed.append(close[0][1])
    return " ".join(fixed) if fixed != words else None


async def visible_document(session: AsyncSession, *, viewer: Viewer, document_id: int) -> Document | None:
    row = await session.get(DocumentIndex, document_id)
    if row is None or not viewer.may_see(row.visibility_path):
        return None
    return await session.get(Document, document_id)


def describe(hits: Sequence[Hit]) -> list[str]:
    return [f"{h.kind} {h.number}".strip() for h in hits]


def label_of(hit: Hit) -> str:
    """`Chỉ thị 07-CT/TW`, or `Chỉ thị (không số) — Ban Bí thư` when the document states no number."""
    if hit.number:
        return f"{hit.kind} {hit.number}"
    return f"{hit.kind} (không số) — {hit.issuer}" if hit.issuer else f"{hit.kind} (không số)"
