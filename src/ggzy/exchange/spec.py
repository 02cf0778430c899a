"""The datasets of the national data specification this platform sends, as data.

``spec.json`` is a normalised extract of the dataset definitions (公共资源交易平台系统数据规范 V3,
as a provincial public service platform configures them): per field its Chinese name and the
validators that apply. ``normalise`` turns a definition file of that configuration into this
form; a test compares the shipped extract with the reference copies so the two cannot drift.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SPEC_FILE = Path(__file__).with_name("spec.json")
# The datasets the platform produces today (the stages that exist on it).
SENT = (
    "500", "501", "502", "503", "504", "506", "507", "508", "509", "510", "511", "512", "513",
    "550", "551", "552", "553", "554", "556", "557",
)  # fmt: skip


@dataclass(frozen=True)
class Field:
    name: str
    cn: str
    required: bool = False
    fixed: int | None = None  # LengthMatch FixedLength
    max: int | None = None  # LengthMatch MaxLength
    date: str | None = None  # DateMatch Format (yyyyMMddHHmmss or yyyyMMdd)
    digits: tuple[int, int] | None = None  # NumberMatch (IntegerFigures, DecimalFigures)
    enum: str | None = None  # EnumMatch EnumType
    domain: str | None = None  # DomainMatch Type (the national dictionary)
    area: bool = False  # AreaCodeMatch: an administrative division code
    tender_ref: bool = False  # TenderProjectCodeMatch: the tender project must be known upstream
    unique: bool = False
    cannot_modify: bool = False


@dataclass(frozen=True)
class Dataset:
    no: str
    name: str
    cn: str
    fields: tuple[Field, ...]
    table_checks: tuple[str, ...]  # cross-field checks named by the configuration, not described there

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


def normalise(raw: dict[str, Any]) -> dict[str, Any]:
    """One definition file ({DataNo, DataName, DataCnName, Fields[], Validators[]}) in our form."""
    fields = []
    for f in raw["Fields"]:
        out: dict[str, Any] = {"name": f["Name"], "cn": f["CnName"]}
        for v in f["Validators"]:
            kind = v["ValidatorName"]
            if kind == "NotNull":
                out["required"] = True
            elif kind == "LengthMatch":
                fixed = v.get("FixedLength") or v.get("FixLength")
                if fixed:
                    out["fixed"] = int(fixed)
                if v.get("MaxLength"):
                    out["max"] = int(v["MaxLength"])
            elif kind == "DateMatch":
                out["date"] = v.get("Format", "yyyyMMddHHmmss")
            elif kind == "NumberMatch":
                out["digits"] = [int(v.get("IntegerFigures") or 0), int(v.get("DecimalFigures") or 0)]
            elif kind == "EnumMatch":
                out["enum"] = v["EnumType"]
            elif kind == "DomainMatch":
                out["domain"] = str(v["Type"])
            elif kind == "AreaCodeMatch":
                out["area"] = True
            elif kind == "TenderProjectCodeMatch":
                out["tender_ref"] = True
            elif kind == "UniqueValue":
                out["unique"] = True
            elif kind == "CannotModify":
                out["cannot_modify"] = True
            else:  # a validator this code does not know must not pass silently
                raise ValueError(f"unknown validator {kind} on {raw['DataNo']}.{f['Name']}")
        fields.append(out)
    return {
        "no": str(raw["DataNo"]),
        "name": raw["DataName"],
        "cn": raw["DataCnName"],
        "fields": fields,
        "table_checks": [v["ValidatorName"] for v in raw.get("Validators", [])],
    }


def _field_args(f: dict[str, Any]) -> dict[str, Any]:
    return {k: (tuple(v) if k == "digits" else v) for k, v in f.items()}


@cache
def datasets() -> dict[str, Dataset]:
    raw = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
    out = {}
    for d in raw["datasets"]:
        fields = tuple(Field(**_field_args(f)) for f in d["fields"])
        out[d["no"]] = Dataset(d["no"], d["name"], d["cn"], fields, tuple(d["table_checks"]))
    return out


def dataset(no: str) -> Dataset:
    return datasets()[no]
