"""Check characters of the two national identifiers.

- 统一社会信用代码, GB 32100-2015: 18 characters from a 31-character alphabet (no I, O, S, V, Z);
  position 1 the registering authority, 2 the organisation category, 3-8 the administrative
  region code, 9-17 the organisation's own code, 18 a check character computed mod 31.
- 公民身份号码, GB 11643-1999: 6-digit address code, 8-digit birth date, 3-digit sequence, and a
  check character by ISO 7064 MOD 11-2 (``X`` stands for 10).
"""

from __future__ import annotations

import re
from datetime import date

from ggzy.common.errors import InvalidInput

ID_FORMAT = re.compile(r"^[0-9]{17}[0-9X]$")
# Full-width forms (as typed with a Chinese input method) fold to ASCII; nothing else is folded,
# so other scripts' digits are refused rather than stored as a second spelling of the same code.
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def normalise_code(raw: str | None) -> str:
    return (raw or "").translate(_FULLWIDTH).strip().upper()


USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# GB 32100-2015 Table 1: registering authority (position 1) and its categories (position 2).
USCC_CATEGORIES = {
    "1": "1239",
    "5": "1239",
    "9": "123",
    "Y": "1",
    "2": "19",
    "3": "1234589",
    "4": "19",
    "6": "129",
    "7": "1239",
    "8": "19",
    "A": "19",
    "B": "129",
    "C": "19",
    "D": "1",
    "E": "1",
    "F": "1",
    "G": "1",
    "N": "12349",
}

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(code: str) -> str:
    """Return the normalised code or raise ``InvalidInput`` saying exactly what is wrong."""
    value = normalise_code(code)
    if len(value) != 18:
        raise InvalidInput(f"统一社会信用代码应为 18 位，当前为 {len(value)} 位", code="invalid_credit_code")
    bad = [c for c in value if c not in USCC_ALPHABET]
    if bad:
        raise InvalidInput(
            f"统一社会信用代码含有不允许的字符：{''.join(dict.fromkeys(bad))}（不使用 I、O、S、V、Z）",
            code="invalid_credit_code",
        )
    authority, category = value[0], value[1]
    if authority not in USCC_CATEGORIES or category not in USCC_CATEGORIES[authority]:
        raise InvalidInput(
            f"统一社会信用代码第 1、2 位（登记管理部门和机构类别：{authority}{category}）不是有效组合",
            code="invalid_credit_code",
        )
    if not value[2:8].isdigit():
        raise InvalidInput("统一社会信用代码第 3 至 8 位应为行政区划代码（数字）", code="invalid_credit_code")
    expected = uscc_check_char(value[:17])
    if value[17] != expected:
        raise InvalidInput(
            f"统一社会信用代码校验码错误：第 18 位应为 {expected}，实际为 {value[17]}", code="invalid_credit_code"
        )
    return value


def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def validate_id_number(number: str, *, today: date | None = None) -> str:
    value = normalise_code(number)
    if len(value) != 18:
        raise InvalidInput(f"公民身份号码应为 18 位，当前为 {len(value)} 位", code="invalid_id_number")
    if not ID_FORMAT.match(value):
        raise InvalidInput("公民身份号码前 17 位应为数字，第 18 位为数字或 X", code="invalid_id_number")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError as exc:
        raise InvalidInput(f"公民身份号码中的出生日期 {value[6:14]} 不存在", code="invalid_id_number") from exc
    if born < date(1900, 1, 1) or born > (today or date.today()):
        raise InvalidInput(f"公民身份号码中的出生日期 {value[6:14]} 不在合理范围内", code="invalid_id_number")
    expected = id_check_char(value[:17])
    if value[17] != expected:
        raise InvalidInput(
            f"公民身份号码校验码错误：第 18 位应为 {expected}，实际为 {value[17]}", code="invalid_id_number"
        )
    return value


def make_uscc(body17: str) -> str:
    """Complete a 17-character body with its check character (demo data and tests)."""
    return body17 + uscc_check_char(body17)


def make_id_number(body17: str) -> str:
    return body17 + id_check_char(body17)
