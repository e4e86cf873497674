"""Real .docx and .pdf files for import tests, written with python-docx and matplotlib's PDF backend."""

from __future__ import annotations

from pathlib import Path

HEADER = ("LIÊN ĐOÀN LAO ĐỘNG TỈNH QUẢNG NAM", "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM")


def write_docx(path: Path, *, number: str, place_date: str, title: str, subject: str, body: str) -> Path:
    """An official letter laid out as offices do: a two-column header table, then title, subject, body."""
    import docx

    document = docx.Document()
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = HEADER
    table.cell(1, 0).text, table.cell(1, 1).text = f"Số: {number}", place_date
    for line in (title, subject, body):
        document.add_paragraph(line)
    document.save(str(path))
    return path


def write_pdf(path: Path, lines: list[str]) -> Path:
    """A one-page PDF whose text pypdf can extract (TrueType fonts with a Unicode map)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8.27, 11.69))
    for i, line in enumerate(lines):
        figure.text(0.08, 0.92 - i * 0.04, line, fontsize=10)
    with matplotlib.rc_context({"pdf.fonttype": 42}):
        figure.savefig(str(path), format="pdf")
    return path
