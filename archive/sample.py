"""The sample archive shipped inside the package (`archive/sample_documents/`): four real union documents,
their facts in `index.toml` and their text, written by the project, beside it. The demo and the tests use
it; nothing here reads outside the package. Importing twice adds nothing."""

from __future__ import annotations

import tomllib
from datetime import date
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from archive.document_numbers import DocumentKind
from archive.documents import NewDocument, create_document, find_registered
from archive.models import Document


def sample_folder() -> Traversable:
    return resources.files("archive") / "sample_documents"


def sample_documents() -> list[NewDocument]:
    """The sample, in `index.toml` order (the report 178/BC-LĐLĐ first)."""
    folder = sample_folder()
    index = tomllib.loads((folder / "index.toml").read_text(encoding="utf-8"))
    docs = []
    for entry in index["document"]:
        issued_on = entry.get("issued_on")
        docs.append(
            NewDocument(
                kind=DocumentKind(entry["kind"]),
                number=entry["number"],
                issuer=entry["issuer"],
                subject=entry["subject"],
                body=(folder / entry["file"]).read_text(encoding="utf-8").strip(),
                issued_on=issued_on if isinstance(issued_on, date) else None,
                tags=tuple(entry.get("tags", ())),
            )
        )
    return docs


def sample_path(filename: str) -> Path:
    """A sample file on disk (the package is installed as files, never zipped), e.g. to upload it."""
    path = Path(str(sample_folder() / filename))
    if not path.is_file():
        raise FileNotFoundError(filename)
    return path


async def import_sample(session: AsyncSession) -> list[Document]:
    """Every sample document, new or already there, in the sample's order."""
    docs: list[Document] = []
    for new in sample_documents():
        existing = await find_registered(session, new=new)
        docs.append(existing if existing is not None else await create_document(session, new=new))
    return docs
