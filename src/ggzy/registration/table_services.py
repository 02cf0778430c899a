"""Versioned rule tables: the entry catalogue (进场交易目录) and the threshold standards (限额标准).

An operator copies the newest version into a draft, edits the draft, and activates it from a
date; an active version never changes again, so a registration can always be explained by the
version it was routed under (kept on the project).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.common import audit
from ggzy.common.audit import Actor
from ggzy.common.clock import local_date
from ggzy.common.errors import Conflict, InvalidInput, NotFound
from ggzy.registration.enums import RuleTableKind, VersionStatus
from ggzy.registration.models import CatalogueItem, RuleTableVersion, ThresholdRule
from ggzy.registration.schemas import CatalogueItemIn, ThresholdRuleIn


def _items(v: RuleTableVersion) -> list[dict[str, str]]:
    if v.kind == RuleTableKind.CATALOGUE.value:
        return [
            {"code": i.code, "type": i.trading_type, "name": i.name, "from": str(i.mandatory_from)}
            for i in v.catalogue_items
        ]
    return [{"type": t.trading_type, "city_from": str(t.city_from)} for t in v.threshold_rules]


def version_create(
    *, session: Session, now: datetime, actor: Actor, kind: RuleTableKind, title: str, basis: str
) -> RuleTableVersion:
    """A new draft, starting as a copy of the newest version of the same table."""
    newest = session.scalar(
        select(RuleTableVersion)
        .where(RuleTableVersion.kind == kind.value)
        .order_by(RuleTableVersion.number.desc())
        .limit(1)
        .with_for_update()
    )
    if session.scalar(
        select(func.count()).where(
            RuleTableVersion.kind == kind.value, RuleTableVersion.status == VersionStatus.DRAFT.value
        )
    ):
        raise Conflict(f"已有未生效的{kind.label}草稿，请先完成或删除", code="draft_exists")
    v = RuleTableVersion(
        kind=kind.value,
        number=(newest.number + 1) if newest else 1,
        title=title,
        basis=basis,
        status=VersionStatus.DRAFT.value,
        created_at=now,
    )
    if newest is not None:
        v.catalogue_items = [
            CatalogueItem(
                code=i.code,
                trading_type=i.trading_type,
                name=i.name,
                scope=i.scope,
                mandatory_from=i.mandatory_from,
                basis=i.basis,
            )
            for i in newest.catalogue_items
        ]
        v.threshold_rules = [
            ThresholdRule(trading_type=t.trading_type, city_from=t.city_from, basis=t.basis)
            for t in newest.threshold_rules
        ]
    session.add(v)
    session.flush()
    audit.record(
        session,
        now=now,
        actor=actor,
        action="ruletable.create",
        object_type="rule_table_version",
        object_id=v.id,
        after={"kind": kind.value, "number": v.number, "items": _items(v)},
    )
    return v


def _draft(session: Session, version_id: int, kind: RuleTableKind) -> RuleTableVersion:
    v = session.scalar(select(RuleTableVersion).where(RuleTableVersion.id == version_id).with_for_update())
    if v is None or v.kind != kind.value:
        raise NotFound(f"{kind.label}版本 {version_id} 不存在", code="version_not_found")
    if v.status != VersionStatus.DRAFT.value:
        raise Conflict("已生效的版本不能修改，请新建版本", code="version_frozen")
    return v


def catalogue_item_put(
    *, session: Session, now: datetime, actor: Actor, version_id: int, data: CatalogueItemIn
) -> RuleTableVersion:
    v = _draft(session, version_id, RuleTableKind.CATALOGUE)
    before = _items(v)
    existing = next((i for i in v.catalogue_items if i.code == data.code), None)
    if existing is None:
        existing = CatalogueItem(code=data.code)
        v.catalogue_items.append(existing)
    existing.trading_type, existing.name, existing.scope = data.trading_type.value, data.name, data.scope
    existing.mandatory_from, existing.basis = data.mandatory_from, data.basis
    session.flush()
    audit.record(
        session,
        now=now,
        actor=actor,
        action="ruletable.item_put",
        object_type="rule_table_version",
        object_id=v.id,
        before=before,
        after=_items(v),
        detail={"code": data.code},
    )
    return v


def catalogue_item_remove(
    *, session: Session, now: datetime, actor: Actor, version_id: int, code: str
) -> RuleTableVersion:
    v = _draft(session, version_id, RuleTableKind.CATALOGUE)
    before = _items(v)
    item = next((i for i in v.catalogue_items if i.code == code), None)
    if item is None:
        raise NotFound(f"目录项 {code} 不存在", code="item_not_found")
    v.catalogue_items.remove(item)
    session.flush()
    audit.record(
        session,
        now=now,
        actor=actor,
        action="ruletable.item_remove",
        object_type="rule_table_version",
        object_id=v.id,
        before=before,
        after=_items(v),
        detail={"code": code},
    )
    return v


def threshold_put(
    *, session: Session, now: datetime, actor: Actor, version_id: int, data: ThresholdRuleIn
) -> RuleTableVersion:
    v = _draft(session, version_id, RuleTableKind.THRESHOLD)
    before = _items(v)
    rule = next((t for t in v.threshold_rules if t.trading_type == data.trading_type.value), None)
    if rule is None:
        rule = ThresholdRule(trading_type=data.trading_type.value)
        v.threshold_rules.append(rule)
    rule.city_from, rule.basis = data.city_from, data.basis
    session.flush()
    audit.record(
        session,
        now=now,
        actor=actor,
        action="ruletable.threshold_put",
        object_type="rule_table_version",
        object_id=v.id,
        before=before,
        after=_items(v),
    )
    return v


def version_activate(
    *, session: Session, now: datetime, actor: Actor, version_id: int, kind: RuleTableKind, effective_from: date
) -> RuleTableVersion:
    v = _draft(session, version_id, kind)
    if effective_from < local_date(now):
        raise InvalidInput("生效日期不能早于今天（已登记的项目按当时有效的版本受理）", code="effective_in_past")
    if kind is RuleTableKind.CATALOGUE and not v.catalogue_items:
        raise InvalidInput("目录为空，不能生效", code="empty_version")
    v.status, v.effective_from, v.activated_at = VersionStatus.ACTIVE.value, effective_from, now
    audit.record(
        session,
        now=now,
        actor=actor,
        action="ruletable.activate",
        object_type="rule_table_version",
        object_id=v.id,
        after={"kind": kind.value, "number": v.number, "effective_from": str(effective_from), "items": _items(v)},
    )
    return v


def version_discard(*, session: Session, now: datetime, actor: Actor, version_id: int, kind: RuleTableKind) -> None:
    v = _draft(session, version_id, kind)
    audit.record(
        session,
        now=now,
        actor=actor,
        action="ruletable.discard",
        object_type="rule_table_version",
        object_id=v.id,
        before={"items": _items(v)},
    )
    session.delete(v)
