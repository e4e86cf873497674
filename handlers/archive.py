"""/vanban <từ khoá>: search the archive (no diacritics needed), page through the ranked results with
inline buttons, and pick one to receive its summary and its file."""

from __future__ import annotations

from functools import partial
from html import escape

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.methods import SendDocument
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from archive.documents import files_of, remember_telegram_file, search_words, tags_of
from archive.search import PAGE_SIZE, Page, Viewer, label_of, search, suggest, visible_document
from bot.replies import send_then
from common.chat_markdown import cut_words, to_chat_html
from common.vietnamese import fold, format_date
from directory.access import scope_for_telegram_user
from handlers.basics import NOT_REGISTERED
from handlers.menu import main_menu, menu_for
from storage.db import Database

ARCHIVE_BUTTON = "📚 Tra cứu văn bản"
ASK_QUERY = "🔎 Xin gõ từ khoá hoặc số văn bản cần tìm, ví dụ: <code>chi thi 07</code> hoặc <code>178</code>."
NOTHING = "Không tìm thấy văn bản nào khớp với «{q}». Xin thử từ khoá khác, hoặc số văn bản (ví dụ 178)."
DID_YOU_MEAN = "Không tìm thấy «{q}». Có phải «{fixed}»?\n\n"
SUMMARY_CHARS = 700
MAX_QUERY = 48  # the folded query travels in the page buttons' callback data (64 bytes)


class ArchiveSearch(StatesGroup):
    query = State()


class PageCb(CallbackData, prefix="vbp"):
    page: int
    q: str


class DocCb(CallbackData, prefix="vbd"):
    document_id: int


def _query_key(raw: str) -> str:
    return " ".join(search_words(raw))[:MAX_QUERY].strip()


def _results(q: str, page: Page) -> tuple[str, InlineKeyboardMarkup]:
    first = page.page * PAGE_SIZE
    lines = [f"🔎 Kết quả cho «{escape(q)}» — trang {page.page + 1}:"]
    rows: list[list[InlineKeyboardButton]] = []
    for i, h in enumerate(page.hits, start=first + 1):
        label = label_of(h)
        date = f" · ngày {format_date(h.issued_on)}" if h.issued_on else " · không ghi ngày"
        lines.append(f"{i}. <b>{escape(label)}</b>{date}\n    {escape(cut_words(h.subject, 120))}")
        rows.append(
            [
                InlineKeyboardButton(
                    text=f"{i}. {label}"[:60], callback_data=DocCb(document_id=h.document_id).pack()
                )
            ]
        )
    nav: list[InlineKeyboardButton] = []
    if page.page > 0:
        nav.append(InlineKeyboardButton(text="◀️ Trước", callback_data=PageCb(page=page.page - 1, q=q).pack()))
    if page.has_next:
        nav.append(InlineKeyboardButton(text="Sau ▶️", callback_data=PageCb(page=page.page + 1, q=q).pack()))
    if nav:
        rows.append(nav)
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


async def _viewer(session: AsyncSession, user_id: int) -> Viewer | None:
    scope = await scope_for_telegram_user(session, telegram_user_id=user_id)
    return Viewer.of(scope) if scope is not None and scope.grants else None


async def _search_and_reply(message: Message, session: AsyncSession, raw: str) -> None:
    assert message.from_user is not None
    viewer = await _viewer(session, message.from_user.id)
    if viewer is None:
        await message.answer(NOT_REGISTERED, reply_markup=main_menu())
        return
    q = _query_key(raw)
    page = await search(session, viewer=viewer, text=q) if q else Page()
    note = ""
    if not page.hits and q:
        fixed = await suggest(session, viewer=viewer, text=q)
        page = await search(session, viewer=viewer, text=fixed) if fixed else Page()
        if page.hits and fixed:
            note, q = DID_YOU_MEAN.format(q=escape(raw.strip()[:60]), fixed=escape(fixed)), fixed
    if not page.hits:
        await message.answer(NOTHING.format(q=escape(raw.strip()[:60])))
        return
    text, markup = _results(q, page)
    await message.answer(note + text, reply_markup=markup)


async def vanban(message: Message, command: CommandObject, session: AsyncSession, state: FSMContext) -> None:
    if not command.args:
        await state.set_state(ArchiveSearch.query)
        await message.answer(ASK_QUERY)
        return
    await _search_and_reply(message, session, command.args)


async def ask(message: Message, state: FSMContext) -> None:
    await state.set_state(ArchiveSearch.query)
    await message.answer(ASK_QUERY)


async def typed_query(message: Message, session: AsyncSession, state: FSMContext) -> None:
    await state.clear()
    if fold(message.text or "") in {"huy", "/huy", "/cancel"}:
        await message.answer("Đã huỷ tra cứu.", reply_markup=await menu_for(session, message.chat.id))
        return
    await _search_and_reply(message, session, message.text or "")


async def turn_page(query: CallbackQuery, callback_data: PageCb, session: AsyncSession, bot: Bot) -> None:
    viewer = await _viewer(session, query.from_user.id)
    if viewer is None or query.message is None:
        await query.answer("Không có quyền tra cứu.", show_alert=True)
        return
    page = await search(session, viewer=viewer, text=callback_data.q, page=max(callback_data.page, 0))
    if not page.hits:
        await query.answer("Không còn kết quả.")
        return
    text, markup = _results(callback_data.q, page)
    await bot.edit_message_text(
        text, chat_id=query.message.chat.id, message_id=query.message.message_id, reply_markup=markup
    )
    await query.answer()


async def _remember_file_id(db: Database, file_row_id: int, sent: Message) -> None:
    """Telegram keeps an uploaded file: the next reader gets it by file_id, without a new upload."""
    if sent.document is not None:
        await remember_telegram_file(db, file_row_id=file_row_id, file_id=sent.document.file_id)


async def open_document(
    query: CallbackQuery, callback_data: DocCb, session: AsyncSession, bot: Bot, db: Database
) -> None:
    viewer = await _viewer(session, query.from_user.id)
    doc = (
        await visible_document(session, viewer=viewer, document_id=callback_data.document_id)
        if viewer
        else None
    )
    if doc is None:
        await query.answer("Văn bản không tồn tại hoặc đồng chí không có quyền xem.", show_alert=True)
        return
    await query.answer()
    chat_id = query.from_user.id
    tags = await tags_of(session, document_id=doc.id)
    body = doc.body.strip()
    excerpt = to_chat_html(body, SUMMARY_CHARS)
    lines = [
        f"📄 <b>{escape(doc.label if doc.number else doc.kind + ' (không số)')}</b>",
        f"Cơ quan ban hành: {escape(doc.issuer)}",
    ]
    lines.append(f"Ngày ban hành: {format_date(doc.issued_on) if doc.issued_on else 'không ghi ngày'}")
    lines.append(f"Trích yếu: <i>{escape(doc.subject)}</i>")
    if tags:
        lines.append("Từ khoá: " + ", ".join(escape(t) for t in tags))
    if excerpt:
        lines += ["", excerpt]
    await bot.send_message(chat_id, "\n".join(lines))
    files = await files_of(session, document_id=doc.id)
    for f in files:
        send = SendDocument(
            chat_id=chat_id,
            document=f.telegram_file_id or BufferedInputFile(f.data, filename=f.filename),
            caption=doc.label,
        )
        if f.telegram_file_id is not None:
            await bot(send)
        else:
            await send_then(bot, send, partial(_remember_file_id, db, f.id))
    if not files and body:
        name = fold(f"{doc.kind} {doc.number}").replace("/", "-").replace(" ", "-") or f"van-ban-{doc.id}"
        await bot.send_document(
            chat_id, BufferedInputFile(body.encode("utf-8"), filename=f"{name}.txt"), caption="Toàn văn"
        )


def build_router() -> Router:
    router = Router(name="archive")
    router.message.filter(F.chat.type == "private")
    router.message.register(vanban, Command("vanban"))
    router.message.register(ask, F.text == ARCHIVE_BUTTON)
    router.message.register(typed_query, StateFilter(ArchiveSearch.query), F.text)
    router.callback_query.register(turn_page, PageCb.filter())
    router.callback_query.register(open_document, DocCb.filter())
    return router
