"""`loa archive import-seeds [DIR]`: imports the seed documents once, refuses a missing folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"


def test_import_seeds_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LOA_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/loa.db")
    monkeypatch.delenv("LOA_REDIS_URL", raising=False)
    assert main(["migrate"]) == 0
    monkeypatch.setenv("LOA_SEEDS_DIR", str(SEEDS))
    assert main(["archive", "import-seeds"]) == 0
    out = capsys.readouterr().out
    assert "4 văn bản mẫu" in out and "Báo cáo 178/BC-LĐLĐ" in out
    assert main(["archive", "import-seeds", str(SEEDS)]) == 0  # twice: still four
    assert "4 văn bản mẫu" in capsys.readouterr().out
    assert main(["archive", "import-seeds", str(tmp_path / "none")]) == 1
    assert "không thấy thư mục" in capsys.readouterr().err
