"""Plausible Vietnamese full names and mobile numbers for demo data, deterministic for a given RNG."""

from __future__ import annotations

import random

# Weighted roughly like the real distribution: Nguyễn alone is close to four in ten.
FAMILY = (
    ("Nguyễn", 38), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Huỳnh", 5), ("Hoàng", 4), ("Phan", 4),
    ("Võ", 4), ("Vũ", 3), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 2), ("Hồ", 2), ("Ngô", 2), ("Dương", 1),
    ("Lý", 1), ("Trương", 1),
)  # fmt: skip
MALE_MIDDLE = ("Văn", "Hữu", "Đức", "Minh", "Quang", "Công", "Thanh", "Xuân", "Ngọc", "Tấn")
FEMALE_MIDDLE = ("Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Kim", "Hồng", "Mỹ", "Bích")
MALE_GIVEN = (
    "An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hiếu", "Hoàng", "Hùng", "Huy", "Khánh", "Khoa", "Long",
    "Minh", "Nam", "Nghĩa", "Phong", "Phúc", "Quân", "Quang", "Sơn", "Tài", "Thắng", "Thành", "Tiến",
    "Trung", "Tuấn", "Vinh",
)  # fmt: skip
FEMALE_GIVEN = (
    "Anh", "Châu", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Hương", "Lan", "Linh",
    "Loan", "Mai", "Nga", "Ngân", "Nhung", "Oanh", "Phương", "Quyên", "Tâm", "Thảo", "Thủy", "Trang",
    "Tuyết", "Vân", "Yến",
)  # fmt: skip
MOBILE_PREFIXES = (
    "090",
    "093",
    "089",
    "070",
    "079",
    "077",
    "091",
    "094",
    "088",
    "083",
    "096",
    "097",
    "098",
    "086",
)


class NameMaker:
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._families = [f for f, _ in FAMILY]
        self._weights = [w for _, w in FAMILY]
        self._phones: set[str] = set()

    def full_name(self) -> str:
        rng = self._rng
        family = rng.choices(self._families, self._weights)[0]
        if rng.random() < 0.55:  # the union's membership is a little over half women
            return f"{family} {rng.choice(FEMALE_MIDDLE)} {rng.choice(FEMALE_GIVEN)}"
        return f"{family} {rng.choice(MALE_MIDDLE)} {rng.choice(MALE_GIVEN)}"

    def phone(self) -> str:
        """A unique E.164 mobile number (`+8490…`), the form the directory stores."""
        while True:
            local = self._rng.choice(MOBILE_PREFIXES) + f"{self._rng.randrange(10**7):07d}"
            if local not in self._phones:
                self._phones.add(local)
                return "+84" + local[1:]
