"""The speciality classification as editable data (公共资源交易评标专家专业分类标准, 发改法规〔2018〕316号:
works / goods / services at the top). The centre loads the published tree from a CSV
(``ggzy experts load-specialities``) and corrects single nodes; a code extends its parent's code,
which is what lets the draw match a speciality and everything under it as one index range."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.common import audit
from ggzy.common.audit import Actor
from ggzy.common.errors import InvalidInput
from ggzy.experts.models import Speciality

CODE = re.compile(r"^[A-Z][0-9A-Z]{0,19}$")
TOP = {"A": "工程", "B": "货物", "C": "服务"}


def _check(session: Session, code: str, name: str, parent: str | None, pending: dict[str, str]) -> None:
    if not CODE.match(code):
        raise InvalidInput(
            f"专业代码 {code!r} 应为大写字母开头的字母数字（至多 20 位）", code="speciality_code_invalid"
        )
    if not name.strip() or len(name) > 100:
        raise InvalidInput(f"专业 {code} 的名称必填且不超过 100 字", code="speciality_name_invalid")
    if parent is None:
        if code not in TOP:
            raise InvalidInput(
                f"顶层专业只有 A 工程、B 货物、C 服务，{code} 须有上级专业", code="speciality_parent_missing"
            )
        return
    if not code.startswith(parent) or code == parent:
        raise InvalidInput(f"专业代码 {code} 须以上级代码 {parent} 开头", code="speciality_code_invalid")
    if parent not in pending and session.get(Speciality, parent) is None:
        raise InvalidInput(f"上级专业 {parent} 不存在", code="speciality_parent_missing")


def upsert(session: Session, *, now: datetime, actor: Actor, rows: Iterable[tuple[str, str, str | None]]) -> int:
    """Add or rename nodes (parents first or in the same batch); all or nothing. Returns how many
    rows changed."""
    rows = [(c.strip(), n.strip(), (p or "").strip() or None) for c, n, p in rows]
    pending = {c: n for c, n, _ in rows}
    for code, name, parent in rows:
        _check(session, code, name, parent, pending)
    changed = 0
    for code, name, parent in rows:
        node = session.get(Speciality, code)
        if node is None:
            session.add(Speciality(code=code, name=name, parent_code=parent))
        elif (node.name, node.parent_code) != (name, parent):
            node.name, node.parent_code = name, parent
        else:
            continue
        changed += 1
    session.flush()
    audit.record(
        session, now=now, actor=actor, action="expert.specialities_load", object_type="expert_speciality",
        object_id=rows[0][0] if rows else "", after={"rows": len(rows), "changed": changed},
    )  # fmt: skip
    return changed


def parse_csv(text: str) -> list[tuple[str, str, str | None]]:
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or not {"code", "name", "parent"} <= set(reader.fieldnames):
        raise InvalidInput("CSV 须有表头 code,name,parent", code="speciality_csv_invalid")
    return [(r["code"] or "", r["name"] or "", r["parent"] or None) for r in reader]


def tree(session: Session) -> list[Speciality]:
    return list(session.scalars(select(Speciality).order_by(Speciality.code)))
