"""A record checked against its dataset's validators, before it is sent. Pure: no session.

Each problem names the field (its Chinese name first: operators read these) and what is wrong,
so a held record says how to fix it. Lengths are counted in characters. The dataset-level
checks the configuration only names (``table_checks``) are not described there and are not
re-implemented here; the provincial platform still runs them on receipt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ggzy.exchange.codes import DOMAINS, ENUMS
from ggzy.exchange.spec import Dataset, Field

DATE_FORMATS = {"yyyyMMddHHmmss": ("%Y%m%d%H%M%S", 14), "yyyyMMdd": ("%Y%m%d", 8)}
NUMBER = re.compile(r"-?(\d+)(?:\.(\d+))?")
AREA = re.compile(r"[1-8]\d{5}")  # GB/T 2260: the first digit is the region (1 华北 … 8 港澳台)
TENDER_CODE = re.compile(r"[A-Z]\d{19}")


@dataclass(frozen=True)
class Problem:
    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


def check(ds: Dataset, record: dict[str, Any], *, known_tenders: frozenset[str] | None = None) -> list[Problem]:
    """Every problem of ``record`` (field name → text). ``known_tenders``: the tender project codes
    the upstream platform has (or will have, earlier in the queue); None skips that check."""
    problems: list[Problem] = []
    names = {f.name for f in ds.fields}
    for extra in sorted(set(record) - names):
        problems.append(Problem(extra, "unknown_field", f"{extra}：不是数据集 {ds.no} 的字段"))
    for f in ds.fields:
        value = record.get(f.name)
        text = "" if value is None else str(value)
        label = f"{f.cn}（{f.name}）"
        if not text.strip():
            if f.required:
                problems.append(Problem(f.name, "required", f"{label}：必填，缺少数据"))
            continue
        problems += _field(f, text, label, known_tenders)
    return problems


def _field(f: Field, text: str, label: str, known_tenders: frozenset[str] | None) -> list[Problem]:
    out: list[Problem] = []
    if f.fixed is not None and len(text) != f.fixed:
        out.append(Problem(f.name, "length", f"{label}：应为 {f.fixed} 个字符，实为 {len(text)} 个"))
    if f.max is not None and len(text) > f.max:
        out.append(Problem(f.name, "length", f"{label}：至多 {f.max} 个字符，实为 {len(text)} 个"))
    if f.date is not None:
        fmt, size = DATE_FORMATS[f.date]
        try:
            ok = len(text) == size and datetime.strptime(text, fmt) is not None
        except ValueError:
            ok = False
        if not ok:
            out.append(Problem(f.name, "date", f"{label}：日期应为 {f.date} 格式，实为“{text[:20]}”"))
    if f.digits is not None:
        m = NUMBER.fullmatch(text)
        whole, frac = f.digits
        if m is None:
            out.append(Problem(f.name, "number", f"{label}：应为数字，实为“{text[:20]}”"))
        elif len(m.group(1).lstrip("0") or "0") > whole or len(m.group(2) or "") > frac:
            out.append(Problem(f.name, "number", f"{label}：整数至多 {whole} 位、小数至多 {frac} 位"))
    if f.enum is not None and text not in ENUMS.get(f.enum, {}):
        allowed = "、".join(f"{k}={v}" for k, v in ENUMS.get(f.enum, {}).items())
        out.append(Problem(f.name, "enum", f"{label}：取值应为 {allowed}，实为“{text[:20]}”"))
    if f.domain is not None:
        values = [v for v in text.split(";") if v]
        table = DOMAINS.get(f.domain)
        bad = [v for v in values if (v not in table if table is not None else not v.isascii() or not v.isalnum())]
        if bad or not values:
            out.append(Problem(f.name, "domain", f"{label}：“{text[:20]}”不是代码表 {f.domain} 中的代码"))
    if f.area and not AREA.fullmatch(text):
        out.append(Problem(f.name, "area", f"{label}：应为 6 位行政区划代码（GB/T 2260），实为“{text[:20]}”"))
    if f.tender_ref:
        if not TENDER_CODE.fullmatch(text):
            out.append(Problem(f.name, "tender_code", f"{label}：招标项目编号应为 20 位"))
        elif known_tenders is not None and text not in known_tenders:
            out.append(
                Problem(
                    f.name, "tender_unknown", f"{label}：招标项目 {text} 尚未报送（招标项目数据未通过校验或未生成）"
                )
            )
    return out
