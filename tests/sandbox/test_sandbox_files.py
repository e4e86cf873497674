"""Uploads, file_id reuse, getFile and downloads."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile

from sandbox.client import SandboxClient


def tiny_png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


async def download(bot: Bot, file_id: str) -> bytes:
    file = await bot.get_file(file_id)
    assert file.file_path is not None
    buffer = io.BytesIO()
    await bot.download_file(file.file_path, buffer)
    return buffer.getvalue()


async def test_document_upload_get_file_and_download(bot: Bot, client: SandboxClient) -> None:
    user = await client.create_user("Hạnh")
    content = "Báo cáo quý II\n".encode() * 100
    sent = await bot.send_document(
        user["id"],
        BufferedInputFile(content, filename="bao-cao-q2.csv"),
        caption="<i>Báo cáo</i>",
        parse_mode="HTML",
    )
    document = sent.document
    assert document is not None
    assert document.file_name == "bao-cao-q2.csv" and document.file_size == len(content)
    assert document.mime_type == "text/csv"
    assert sent.caption == "Báo cáo" and sent.caption_entities is not None
    assert await download(bot, document.file_id) == content

    # sending again by file_id reuses the stored file
    again = await bot.send_document(user["id"], document.file_id)
    assert again.document is not None and again.document.file_unique_id == document.file_unique_id
    [first, second] = await client.wait_for_messages(user["id"], count=2)
    assert first["document"]["file_name"] == "bao-cao-q2.csv" and first["caption"] == "Báo cáo"
    assert second["document"]["file_id"] == document.file_id

    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_document(user["id"], document.file_id, caption="x" * 1025)
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_document(user["id"], "not-a-file-id")
    with pytest.raises(TelegramBadRequest, match="invalid file_id"):
        await bot.get_file("not-a-file-id")


async def test_photo_upload_and_caption_edit(bot: Bot, client: SandboxClient) -> None:
    user = await client.create_user("Kim")
    png = tiny_png(40, 30)
    sent = await bot.send_photo(
        user["id"], BufferedInputFile(png, filename="anh.png"), caption="Ảnh hội nghị"
    )
    assert sent.photo is not None
    biggest = sent.photo[-1]
    assert (biggest.width, biggest.height) == (40, 30)
    assert await download(bot, biggest.file_id) == png
    edited = await bot.edit_message_caption(chat_id=user["id"], message_id=sent.message_id, caption="Ảnh mới")
    assert not isinstance(edited, bool) and edited.caption == "Ảnh mới"
    with pytest.raises(TelegramBadRequest, match="there is no text in the message to edit"):
        await bot.edit_message_text("x", chat_id=user["id"], message_id=sent.message_id)
    with pytest.raises(TelegramBadRequest, match="can't use file of type Photo as Document"):
        await bot.send_document(user["id"], biggest.file_id)


async def test_user_sends_document_and_photo(bot: Bot, client: SandboxClient) -> None:
    user = await client.create_user("Tâm")
    await client.send_user_message(
        user["id"], document=b"a,b\n1,2\n", file_name="so-lieu.csv", caption="số liệu"
    )
    await client.send_user_message(user["id"], photo=tiny_png(8, 8))
    updates = await bot.get_updates()
    message = updates[0].message
    assert message is not None and message.document is not None
    assert message.document.file_name == "so-lieu.csv" and message.caption == "số liệu"
    assert await download(bot, message.document.file_id) == b"a,b\n1,2\n"
    photo_message = updates[1].message
    assert photo_message is not None and photo_message.photo is not None
    assert photo_message.photo[-1].width == 8
