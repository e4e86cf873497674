"""Archive search on the real database: diacritics, numbers, ranking, pagination and visibility."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select, text

from archive.document_numbers import DocumentKind
from archive.documents import ArchiveError, NewDocument, attach_file, create_document, reindex
from archive.models import Document
from archive.sample import import_sample
from archive.search import Viewer, ancestors_of, search
from archive.tables import DocumentIndex
from directory.access import scope_for_person
from storage.db import Database
from tests.archive.factories import make_province

CT07 = NewDocument(
    kind=DocumentKind.directive,
    number="07-CT/TW",
    issuer="Ban Bí thư",
    subject="Về đẩy mạnh công tác thông tin cơ sở trong tình hình mới",
    body="Ban Bí thư yêu cầu các cấp uỷ đảng tập trung lãnh đạo công tác thông tin cơ sở.",
    issued_on=date(2016, 9, 5),
)


def labels(page: object) -> list[str]:
    return [f"{h.kind} {h.number}".strip() for h in page.hits]  # type: ignore[attr-defined]


async def test_seed_import_keeps_stated_numbers_and_dates_and_is_idempotent(db: Database) -> None:
    async with db.transaction() as s:
        docs = await import_sample(s)
        again = await import_sample(s)
        assert [d.id for d in docs] == [d.id for d in again] and len(docs) == 4
        report = docs[0]
        assert (report.kind, report.number, report.issued_on) == ("Báo cáo", "178/BC-LĐLĐ", date(2022, 7, 25))
        row = await s.get(DocumentIndex, report.id)
        assert row is not None and (row.number_value, row.kind_code, row.issuer_code) == (178, "BC", "LĐLĐ")
        assert "Phần thứ nhất" in report.body
        assert {d.kind for d in docs} == {"Báo cáo", "Chỉ thị", "Kế hoạch", "Thông báo"}
        assert docs[1].number == "" and docs[1].issued_on is None  # the directive states no number
        assert await s.scalar(select(func.count()).select_from(Document)) == 4


async def test_no_diacritics_numbers_and_ranking(db: Database) -> None:
    async with db.transaction() as s:
        await import_sample(s)
        await create_document(s, new=CT07)
        everyone = Viewer()
        page = await search(s, viewer=everyone, text="chi thi 07")
        # the directive itself first (its own number), then the report about it
        assert labels(page)[:2] == ["Chỉ thị 07-CT/TW", "Báo cáo 178/BC-LĐLĐ"]
        assert labels(await search(s, viewer=everyone, text="Chỉ thị 07"))[:2] == labels(page)[:2]
        assert labels(await search(s, viewer=everyone, text="178"))[0] == "Báo cáo 178/BC-LĐLĐ"
        assert labels(await search(s, viewer=everyone, text="so 178"))[0] == "Báo cáo 178/BC-LĐLĐ"
        assert labels(await search(s, viewer=everyone, text="chi thi 7"))[0] == "Chỉ thị 07-CT/TW"
        # phone typing: no diacritics, đ → d, unfinished last word
        cchc = await search(s, viewer=everyone, text="cai cach hanh chinh")
        assert set(labels(cchc)[:2]) == {"Kế hoạch", "Thông báo"}  # subject/tag matches beat body mentions
        assert len(labels(cchc)) > 2  # then the documents that mention it in their text
        assert labels(await search(s, viewer=everyone, text="doan kiem tra cch"))[0] == "Thông báo"
        assert (await search(s, viewer=everyone, text="khongcotu xyz")).hits == []
        assert (await search(s, viewer=everyone, text="  !! ")).hits == []


async def test_pagination_is_stable_and_complete(db: Database) -> None:
    async with db.transaction() as s:
        for i in range(12):
            await create_document(
                s,
                new=NewDocument(
                    kind=DocumentKind.letter,
                    number=f"{100 + i}/LĐLĐ-VP",
                    issuer="LĐLĐ tỉnh",
                    subject=f"Về việc tuyên truyền Tháng Công nhân đợt {i}",
                    issued_on=date(2024, 1, 1 + i),
                ),
            )
        seen: list[str] = []
        page_no, pages = 0, []
        while True:
            page = await search(s, viewer=Viewer(), text="thang cong nhan", page=page_no, page_size=5)
            pages.append(len(page.hits))
            seen += [h.number for h in page.hits]
            if not page.has_next:
                break
            page_no += 1
        assert pages == [5, 5, 2] and len(set(seen)) == 12
        assert seen[0] == "111/LĐLĐ-VP"  # equal rank: newest first


async def test_members_only_find_what_they_may_see(db: Database) -> None:
    async with db.transaction() as s:
        p = await make_province(s)
        public = await create_document(s, new=CT07)
        district = await create_document(
            s,
            new=NewDocument(
                kind=DocumentKind.plan,
                number="12/KH-LĐLĐ",
                issuer="LĐLĐ thành phố Tam Kỳ",
                subject="Kế hoạch thông tin cơ sở năm 2025",
                visibility_unit_id=p.district_a.id,
            ),
        )
        school = await create_document(
            s,
            new=NewDocument(
                kind=DocumentKind.notice,
                number="3/TB-CĐCS",
                issuer="CĐCS Trường THCS Lý Tự Trọng",
                subject="Thông báo họp thông tin cơ sở",
                visibility_unit_id=p.school_a.id,
            ),
        )

        async def found(person: object) -> set[int]:
            viewer = Viewer.of(await scope_for_person(s, person=person))  # type: ignore[arg-type]
            return {h.document_id for h in (await search(s, viewer=viewer, text="thong tin co so")).hits}

        assert await found(p.member_a) == {public.id, district.id, school.id}
        assert await found(p.member_b) == {public.id}
        assert await found(p.officer_a) == {public.id, district.id, school.id}  # their subtree
        assert await found(p.officer_province) == {public.id, district.id, school.id}
        assert await found(p.leader_a) == {public.id, district.id, school.id}
        # moving visibility up to the province shows it to the other district too
        await reindex(s, document=district, visibility_unit_id=p.province.id)
        assert await found(p.member_b) == {public.id, district.id}


def test_ancestors_of_path() -> None:
    assert ancestors_of("/1/7/42/") == ["/1/", "/1/7/", "/1/7/42/"]
    assert ancestors_of("/") == []


async def test_attachment_limits(db: Database) -> None:
    async with db.transaction() as s:
        doc = await create_document(s, new=CT07)
        pdf = await attach_file(
            s, document_id=doc.id, filename="07.pdf", mime_type="application/pdf", data=b"%PDF"
        )
        assert pdf.size == 4
        for mime, data, code in [
            ("application/zip", b"PK", "bad_file_type"),
            ("application/pdf", b"", "empty_file"),
            ("image/png", b"x" * (20 * 1024 * 1024 + 1), "file_too_large"),
        ]:
            try:
                await attach_file(s, document_id=doc.id, filename="f", mime_type=mime, data=data)
            except ArchiveError as exc:
                assert exc.code == code
            else:
                raise AssertionError(f"{mime} accepted")


async def test_like_fallback_finds_what_fts_finds(db: Database) -> None:
    """Without FTS5 (or before it), SQLite searches the folded columns with LIKE: same matches."""
    queries = ["chi thi 07", "178", "cai cach hanh chinh", "doan kiem tra cch", "thong tin bao cao", "7"]
    async with db.transaction() as s:
        await import_sample(s)
        await create_document(s, new=CT07)
        native = {q: labels(await search(s, viewer=Viewer(), text=q, page_size=10)) for q in queries}
    if db.engine.dialect.name != "sqlite":
        return
    async with db.transaction() as s:
        await s.execute(text("DROP TABLE document_fts"))
        fallback = {q: labels(await search(s, viewer=Viewer(), text=q, page_size=10)) for q in queries}
    assert fallback == native  # same matches, same order
    assert fallback["chi thi 07"][0] == "Chỉ thị 07-CT/TW"
    assert fallback["178"][0] == "Báo cáo 178/BC-LĐLĐ"
