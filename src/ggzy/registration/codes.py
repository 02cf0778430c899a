"""The code scheme (docs/codes.md), sized to the national data specification's fields:

- 项目编号 PROJECT_CODE, 17 characters (dataset 500): trading-type letter (1) + region code of the
  accepting branch (6) + year of acceptance (4) + sequence within letter, branch and year (6).
- 招标项目编号 TENDER_PROJECT_CODE, 20 (dataset 501): project code (17) + tender sequence (3).
- 标段（包）编号 BID_SECTION_CODE, 23 (dataset 502): tender project code (20) + section sequence (3).
- 统一交易标识码 UNIFIED_DEAL_CODE, 40 (datasets 501/502): trading-place region (6) + platform
  number (2) + section code (23) + tender round (2) + date YYMMDD (6) + a check character (1) by
  ISO 7064 MOD 37,36, which catches every single mistyped character and most transpositions.
"""

from __future__ import annotations

import re
from datetime import date

PROJECT_CODE = re.compile(r"^[EZTKCQ]\d{16}$")
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def mod37_36(body: str) -> str:
    """ISO 7064 MOD 37,36 (hybrid system) check character over digits and capital letters."""
    p = 36
    for ch in body:
        p = (p + ALNUM.index(ch)) % 36 or 36
        p = (p * 2) % 37
    return ALNUM[(37 - p) % 36]


def project_code(letter: str, region_code: str, year: int, seq: int) -> str:
    if not (1 <= seq <= 999_999):
        raise ValueError("project sequence out of range")
    code = f"{letter}{region_code}{year:04d}{seq:06d}"
    if not PROJECT_CODE.match(code):
        raise ValueError(f"bad project code parts: {code!r}")
    return code


def tender_project_code(project: str, seq: int) -> str:
    if not PROJECT_CODE.match(project) or not (1 <= seq <= 999):
        raise ValueError("bad project code or tender sequence")
    return f"{project}{seq:03d}"


def section_code(tender_project: str, seq: int) -> str:
    if len(tender_project) != 20 or not (1 <= seq <= 999):
        raise ValueError("bad tender project code or section sequence")
    return f"{tender_project}{seq:03d}"


def unified_deal_code(*, place_region: str, platform_no: int, section: str, round_no: int, on: date) -> str:
    if len(place_region) != 6 or len(section) != 23 or not (0 <= platform_no <= 99) or not (1 <= round_no <= 99):
        raise ValueError("bad unified deal code part")
    body = f"{place_region}{platform_no:02d}{section}{round_no:02d}{on:%y%m%d}"
    if len(body) != 39 or any(c not in ALNUM for c in body):
        raise ValueError(f"bad unified deal code parts: {body!r}")
    return body + mod37_36(body)


def unified_deal_code_valid(code: str) -> bool:
    return len(code) == 40 and all(c in ALNUM for c in code) and mod37_36(code[:39]) == code[39]
