"""`loa archive import-sample` and `loa archive import DIR` through the command line: idempotent, a clear
line per skipped file, a missing folder refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from tests.archive.helpers_files import write_docx, write_pdf


@pytest.fixture
def migrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LOA_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/loa.db")
    monkeypatch.delenv("LOA_REDIS_URL", raising=False)
    assert main(["migrate"]) == 0
    return tmp_path


def test_import_sample_command(migrated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["archive", "import-sample"]) == 0
    out = capsys.readouterr().out
    assert "4 văn bản mẫu" in out and "Báo cáo 178/BC-LĐLĐ — Sơ kết 05 năm" in out
    assert main(["archive", "import-sample"]) == 0  # twice: still four
    assert "4 văn bản mẫu" in capsys.readouterr().out


def test_import_folder_command(migrated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = migrated / "van-ban"
    folder.mkdir()
    (folder / "ke-hoach-thang-cong-nhan.txt").write_text(
        "LIÊN ĐOÀN LAO ĐỘNG TỈNH QUẢNG NAM\nSố: 45/KH-LĐLĐ\nQuảng Nam, ngày 3 tháng 3 năm 2025\n\n"
        "KẾ HOẠCH\nTổ chức Tháng Công nhân năm 2025\n\nCác cấp công đoàn tổ chức Tháng Công nhân.",
        encoding="utf-8",
    )
    write_docx(
        folder / "cong-van.docx",
        number="112/LĐLĐ-VP",
        place_date="Quảng Nam, ngày 10 tháng 4 năm 2025",
        title="",
        subject="V/v báo cáo số liệu đoàn viên quý I",
        body="Đề nghị các đơn vị gửi số liệu trước ngày 20/4/2025.",
    )
    write_pdf(folder / "thong-bao.pdf", ["Số: 9/TB-LĐLĐ", "", "THÔNG BÁO", "Lịch nghỉ lễ 30/4 và 1/5"])
    (folder / "anh.png").write_bytes(b"\x89PNG")
    (folder / "scan.pdf").write_bytes(b"not a pdf")
    (folder / "ghi-chu.txt").write_text("Ghi chú không có tiêu đề", encoding="utf-8")
    capsys.readouterr()
    assert main(["archive", "import", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "nhập 3 văn bản mới, 0 đã có trong kho, bỏ qua 3 tệp" in out, out
    assert "+ Kế hoạch 45/KH-LĐLĐ — Tổ chức Tháng Công nhân năm 2025" in out
    assert "+ Công văn 112/LĐLĐ-VP — V/v báo cáo số liệu đoàn viên quý I" in out
    assert "+ Thông báo 9/TB-LĐLĐ — Lịch nghỉ lễ 30/4 và 1/5" in out
    assert "«anh.png»: bỏ qua — chỉ nhận tệp .txt, .docx hoặc .pdf" in out
    assert "«scan.pdf»: bỏ qua — tệp hỏng hoặc không mở được" in out
    assert "«ghi-chu.txt»: bỏ qua — không nhận ra loại văn bản" in out
    # again, with a default kind for the note: nothing twice, the note now comes in
    assert main(["archive", "import", str(folder), "--kind", "Thông báo", "--issuer", "LĐLĐ tỉnh"]) == 0
    out = capsys.readouterr().out
    assert "nhập 1 văn bản mới, 3 đã có trong kho, bỏ qua 2 tệp" in out, out
    assert "+ Thông báo — ghi chu" in out


def test_import_refuses_a_missing_folder_or_an_unknown_kind(
    migrated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["archive", "import", str(migrated / "none")]) == 1
    assert "không thấy thư mục" in capsys.readouterr().err
    assert main(["archive", "import", str(migrated), "--kind", "thư tình"]) == 1
    assert "không rõ loại văn bản «thư tình»" in capsys.readouterr().err
