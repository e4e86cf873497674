"""A directive document a broadcast may refer to. Kept small on purpose; the archive extends it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, BigIntPK, UTCDateTime, utcnow


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))  # Chỉ thị, Kế hoạch, Báo cáo, Công văn, ...
    number: Mapped[str] = mapped_column(String(64), index=True)  # số và ký hiệu, e.g. 178/BC-LĐLĐ
    issuer: Mapped[str] = mapped_column(String(255))
    issued_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    subject: Mapped[str] = mapped_column(Text, default="")  # trích yếu
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def label(self) -> str:
        return f"{self.kind} số {self.number}"

    # archive (issue 6): the full text; parts, visibility and search index live in archive/tables.py
    body: Mapped[str] = mapped_column(Text, default="", server_default="")
