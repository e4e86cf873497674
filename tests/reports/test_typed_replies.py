"""Lines of figures as leaders type them on phones, sent to the real bot without «reply».

Each row is either stored (the exact values and estimate flags are checked in the database) or refused (the
answer names the problem and nothing new is stored). No row may store a value other than the one meant.
Form TK: tt (members, người), kn (admitted, ≤ tt), ntg (participants, ≤ 100.000), tl (% optional),
hd (yes/no optional).
"""

from __future__ import annotations

from typing import Any

from tests.reports.test_chat import last_text, setup, stored

NBSP = "\u00a0"
Stored = dict[str, Any]
BASE: Stored = {"tt": "1234", "kn": "12", "ntg": "3"}

ACCEPTED: list[tuple[str, Stored, list[str]]] = [
    ("1234 12 3", BASE, []),
    ("1234 12 3 co", {**BASE, "hd": True}, []),
    ("1.234 12 3", BASE, []),
    ("1.234 người 12 người 3 người", BASE, []),
    ("1234 12người 3", BASE, []),
    ("1234 12 buổi 3 lượt", BASE, []),
    ("1234 12 3 50%", {**BASE, "tl": "50"}, []),
    ("1234 12 3 50 %", {**BASE, "tl": "50"}, []),
    ("1234 12 3 12,5%", {**BASE, "tl": "12.5"}, []),
    ("1234 12 3 50 phần trăm", {**BASE, "tl": "50"}, []),
    ("１２３４ １２ ３", BASE, []),  # full-width digits
    ("1234\t12\t3", BASE, []),  # cells pasted from a spreadsheet
    (f"1{NBSP}234\t12\t3", BASE, []),  # a spreadsheet's non-breaking thousands space
    ("1 234\t12\t3\t50%\tcó", {**BASE, "tl": "50", "hd": True}, []),
    (f"1234{NBSP}12{NBSP}3", BASE, []),
    ("1234;12;3;50%;có", {**BASE, "tl": "50", "hd": True}, []),
    ("1234; 12; 3", BASE, []),
    ("1234, 12, 3", BASE, []),
    ("1234 12 3.", BASE, []),
    ("khoảng 1234 12 3", BASE, ["tt"]),
    ("khoang 1234 12 3", BASE, ["tt"]),
    ("~1234 12 3", BASE, ["tt"]),
    ("1234 (ước tính) 12 3", BASE, ["tt"]),
    ("tt 1234 kn 12 ntg 3", BASE, []),
    ("tt=1234 kn=12 ntg=3", BASE, []),
    ("tt: 1234, kn: 12, ntg: 3", BASE, []),
    ("kn12 tt1234 ntg3", BASE, []),
    ("KN 12 TT 1.234 NTG 3 HD co", {**BASE, "hd": True}, []),
    ("kn=khoảng 12 tt=1234 ntg=3", BASE, ["kn"]),
    ("tong so doan vien 1234 ket nap 12 tham gia 3", BASE, []),
    ("Tổng số đoàn viên 1234, kết nạp 12, tham gia 3", BASE, []),
    ("1234 12 3 - có", {**BASE, "hd": True}, []),
    ("1234 12 3 - khong co", {**BASE, "hd": False}, []),
    ("1234 12 3 có ạ", {**BASE, "hd": True}, []),
    ("1234 12 3 ko", {**BASE, "hd": False}, []),
    ("1234 12 3 không có", {**BASE, "hd": False}, []),
    ("1234 12 3 chưa", {**BASE, "hd": False}, []),
    ("1234 12 3 rồi", {**BASE, "hd": True}, []),
    ("1234 12 3 x", {**BASE, "hd": True}, []),
    ("12.000 12 300", {"tt": "12000", "kn": "12", "ntg": "300"}, []),
    ("1234 12 3k", {**BASE, "ntg": "3000"}, []),
    ("2tr 12 3", {**BASE, "tt": "2000000"}, []),
    ("300k 12 3", {**BASE, "tt": "300000"}, []),
    ("1,2k 12 3", {**BASE, "tt": "1200"}, []),
    ("1234,0 12 3", BASE, []),
]

REFUSED: list[tuple[str, str]] = [
    ("2oo 12 3", "«2oo» có chữ «o» lẫn trong số — có phải 200?"),
    ("5oo 12 3", "«5oo» có chữ «o» lẫn trong số — có phải 500?"),
    ("4O 2 3", "«4O» có chữ «o» lẫn trong số — có phải 40?"),
    ("1.2OO 12 3", "«1.2OO» có chữ «o» lẫn trong số — có phải 1.200?"),
    ("300x 12 3", "Loa không hiểu «x» sau số 300"),
    ("khoang 1 tram 12 3", "«tram» là số viết bằng chữ — xin gõ bằng chữ số, ví dụ 100"),
    ("1234 mười hai 3", "«mười hai» là số viết bằng chữ"),
    ("1 234 12 3 50% co", "Có vẻ «1 234» là một số viết có dấu cách — xin viết liền 1234 hoặc 1.234"),
    ("1234 12 3 50% co 7", "Dòng có nhiều giá trị hơn số chỉ tiêu (5: tt, kn, ntg, tl, hd)"),
    ("1234 12,5 3", "(kn): đã nhập «12,5» có phần lẻ"),
    ("1,234 12 3", "(tt): đã nhập «1,234» — dấu phẩy là phần lẻ; nếu là số nguyên, xin viết 1.234 hoặc 1234"),
    ("12 ng 12 3", "«ng» có thể là «người» hoặc «nghìn» — xin ghi rõ"),
    ("1234 12 3ng", "«ng» có thể là «người» hoặc «nghìn»"),
    ("1234 10-12 3", "«10-12» là một khoảng — cần một con số cụ thể"),
    ("1234 12 3 150%", "(tl): đã nhập «150%» nằm ngoài giới hạn"),
    ("1234 12% 3", "(kn): đã nhập «12%» là tỷ lệ %"),
    ("12 1234 3", "(kn): đã nhập 1.234 — cần không lớn hơn «Tổng số đoàn viên» (tt) là 12"),
    ("1234 12 300k", "(ntg): đã nhập «300k» (= 300.000) nằm ngoài giới hạn"),
    ("kn 6 giam 2", "«giam» (giá trị «2») không phải tên chỉ tiêu của biểu mẫu"),
    ("ket nap 6, giam 2", "«giam» (giá trị «2») không phải tên chỉ tiêu của biểu mẫu"),
    ("tt 1234 kn 12 ntg 3 kn 5", "(kn) được nhập hai lần («12» và «5»)"),
    ("1234 12", "(ntg): chưa nhập"),
    ("1.23.456 12 3", "dấu chấm phân cách hàng nghìn phải đứng trước từng nhóm 3 chữ số"),
    ("1234 12 3 1,2,3%", "có nhiều hơn một dấu phẩy thập phân"),
    ("-5 12 3", "(tt): đã nhập «-5» nằm ngoài giới hạn"),
    ("1234 12 3 có lẽ", "không biết đặt «lẽ» vào đâu"),
]


def test_the_table_has_enough_rows() -> None:
    assert len(ACCEPTED) + len(REFUSED) >= 60


async def test_typed_replies_store_what_was_meant_or_say_why_not(harness_factory: Any) -> None:
    async with harness_factory("polling") as h:
        sb, db = h.client, h.loa.db
        t, _, ids = await setup(h)
        chat, unit_id = ids["G1"], t.g["G1"].id
        count, failures = 1, []
        for typed, values, estimates in ACCEPTED:
            await sb.send_user_message(chat, text=typed)
            count += 1
            reply = await last_text(sb, chat, count)
            revs = await stored(db, unit_id)
            got = (revs[-1].values, revs[-1].estimates) if revs else None
            if "Đã hiểu:" not in reply or got != (values, estimates):
                failures.append(f"{typed!r}: stored {got}, expected {(values, estimates)}; reply {reply!r}")
        kept = len(await stored(db, unit_id))
        for typed, message in REFUSED:
            await sb.send_user_message(chat, text=typed)
            count += 1
            reply = await last_text(sb, chat, count)
            if message not in reply or "Chưa lưu" not in reply:
                failures.append(f"{typed!r}: expected «{message}» in {reply!r}")
        assert len(await stored(db, unit_id)) == kept  # nothing refused was stored
        assert failures == [], "\n".join(failures)
