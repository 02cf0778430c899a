"""The expert library and committee draws over HTTP. Thin: parse, call a service, answer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from ggzy.common.errors import NotFound, PermissionDenied
from ggzy.experts import extraction, library, specialities
from ggzy.experts.enums import ExpertStatus
from ggzy.experts.models import Expert, Extraction
from ggzy.experts.rules import Limits
from ggzy.http.deps import ClockDep, DbDep, IdPath, OffsetQuery, permit
from ggzy.identity.permissions import Action, Principal, allows_object
from ggzy.identity.schemas import Strict
from ggzy.tendering.models import Section

router = APIRouter(tags=["专家库与专家抽取"])


class ExpertIn(Strict):
    name: str = Field(min_length=2, max_length=50)
    id_number: str = Field(min_length=18, max_length=18)
    employer_credit_code: str = Field(min_length=18, max_length=18)
    title: str = Field(min_length=2, max_length=40)
    years: int = Field(ge=0, le=80)
    region_code: str = Field(pattern=r"^\d{6}$")
    phone: str = Field(default="", max_length=40)
    specialities: list[str] = Field(min_length=1, max_length=10)


class ExpertOut(BaseModel):
    id: int
    name: str
    id_number_masked: str
    employer_credit_code: str
    title: str
    years: int
    region_code: str
    status: ExpertStatus
    status_label: str
    status_reason: str
    status_until: date | None
    specialities: list[str]


class StatusIn(Strict):
    status: Literal["active", "suspended", "blacklisted", "retired"]
    reason: str = Field(default="", max_length=500)
    until: date | None = None


class ConflictIn(Strict):
    credit_code: str = Field(min_length=18, max_length=18)
    kind: Literal["relative", "former_employer", "other"]
    note: str = Field(default="", max_length=200)


class BusyIn(Strict):
    day: date
    reason: str = Field(default="", max_length=100)


class NeedIn(Strict):
    speciality: str = Field(min_length=1, max_length=20)
    count: int = Field(ge=1, le=21)


class ExtractionIn(Strict):
    needs: list[NeedIn] = Field(min_length=1, max_length=10)
    regions: list[str] = Field(min_length=1, max_length=20)
    evaluation_day: date
    site: str = Field(min_length=2, max_length=100)


class ExtractionOut(BaseModel):
    id: int
    section_id: int
    status: str
    needs: list[dict[str, Any]]
    evaluation_day: date
    site: str
    commitment: dict[str, Any] = Field(description="抽取前公布的承诺：各候选人摘要、名单摘要、秘密值摘要")
    public_value: str
    drawn_at: datetime | None
    drawn: list[int] = Field(
        description="各专业已抽中的人数。名单只有系统知道，专家到评标场地签到前不向任何人显示（含交易中心）"
    )


def expert_out(session: Any, e: Expert) -> ExpertOut:
    from ggzy.experts.models import ExpertSpeciality

    codes = list(session.scalars(select(ExpertSpeciality.speciality_code).where(ExpertSpeciality.expert_id == e.id)))
    return ExpertOut(
        id=e.id,
        name=e.name,
        id_number_masked=e.id_number[:6] + "********" + e.id_number[-4:],
        employer_credit_code=e.employer_credit_code,
        title=e.title,
        years=e.years,
        region_code=e.region_code,
        status=ExpertStatus(e.status),
        status_label=ExpertStatus(e.status).label,
        status_reason=e.status_reason,
        status_until=e.status_until,
        specialities=codes,
    )


def limits(request: Request) -> Limits:
    s = request.app.state.settings
    return Limits(
        max_age=s.expert_max_age, min_years=s.expert_min_years, max_services_per_tenderer=s.expert_max_services
    )


@router.get("/experts", response_model=list[ExpertOut], summary="专家库（分页）")
def experts(
    db: DbDep, offset: OffsetQuery = 0, status: ExpertStatus | None = None, _: Principal = permit(Action.EXPERT_READ)
) -> list[ExpertOut]:
    with db.session(write=False) as s:
        q = select(Expert).order_by(Expert.id).offset(offset).limit(100)
        if status is not None:
            q = q.where(Expert.status == status.value)
        return [expert_out(s, e) for e in s.scalars(q)]


@router.post("/experts", response_model=ExpertOut, status_code=201, summary="登记专家（待监督部门审核入库）")
def expert_register(
    data: ExpertIn, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.EXPERT_MANAGE)
) -> ExpertOut:
    with db.transaction() as s:
        e = library.expert_register(
            session=s, now=clock.now(), principal=p, limits=limits(request), **data.model_dump()
        )
        return expert_out(s, e)


@router.post("/experts/{expert_id}/status", response_model=ExpertOut, summary="审核入库、暂停、禁入、退出、恢复")
def expert_status(
    expert_id: IdPath, data: StatusIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.EXPERT_REVIEW)
) -> ExpertOut:
    with db.transaction() as s:
        e = library.expert_set_status(
            session=s,
            now=clock.now(),
            principal=p,
            expert_id=expert_id,
            status=ExpertStatus(data.status),
            reason=data.reason,
            until=data.until,
        )
        return expert_out(s, e)


@router.post("/experts/{expert_id}/conflicts", status_code=204, summary="申报利害关系")
def expert_conflict(
    expert_id: IdPath, data: ConflictIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.EXPERT_MANAGE)
) -> None:
    with db.transaction() as s:
        library.conflict_declare(session=s, now=clock.now(), principal=p, expert_id=expert_id, **data.model_dump())


@router.post("/experts/{expert_id}/busy", status_code=204, summary="申报不便参加评标的日期")
def expert_busy(
    expert_id: IdPath, data: BusyIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.EXPERT_MANAGE)
) -> None:
    with db.transaction() as s:
        library.busy_declare(session=s, now=clock.now(), principal=p, expert_id=expert_id, **data.model_dump())


def extraction_out(x: Extraction) -> ExtractionOut:
    return ExtractionOut(
        id=x.id,
        section_id=x.section_id,
        status=x.status,
        needs=x.needs,
        evaluation_day=x.evaluation_day,
        site=x.site,
        commitment=x.commitment,
        public_value=x.public_value,
        drawn_at=x.drawn_at,
        drawn=[len(m) for m in extraction.committee(x)] if x.status == "drawn" else [],
    )


def _own_section(s: Any, p: Principal, section_id: int) -> None:
    section = s.get(Section, section_id)
    if section is None:
        raise NotFound(f"标段 {section_id} 不存在", code="section_not_found")
    if not allows_object(p, Action.EXTRACTION_MANAGE, section.tender):
        raise PermissionDenied("该标段不在您的办理范围内", code="out_of_scope")


@router.post(
    "/sections/{section_id}/extractions",
    response_model=ExtractionOut,
    status_code=201,
    summary="申请抽取评标专家（先公布承诺）",
)
def extraction_request(
    section_id: IdPath,
    data: ExtractionIn,
    request: Request,
    db: DbDep,
    clock: ClockDep,
    p: Principal = permit(Action.EXTRACTION_MANAGE),
) -> ExtractionOut:
    with db.transaction() as s:
        _own_section(s, p, section_id)
        x = extraction.extraction_request(
            session=s,
            now=clock.now(),
            principal=p,
            section_id=section_id,
            needs=[extraction.Need(n.speciality, n.count) for n in data.needs],
            regions=data.regions,
            day=data.evaluation_day,
            site=data.site,
            limits=limits(request),
        )
        return extraction_out(x)


@router.post("/extractions/{extraction_id}/draw", response_model=ExtractionOut, summary="随机抽取")
def extraction_draw(
    extraction_id: IdPath, db: DbDep, clock: ClockDep, p: Principal = permit(Action.EXTRACTION_MANAGE)
) -> ExtractionOut:
    with db.transaction() as s:
        x = s.get(Extraction, extraction_id)
        if x is None:
            raise NotFound("抽取请求不存在", code="extraction_not_found")
        _own_section(s, p, x.section_id)
        return extraction_out(
            extraction.extraction_draw(session=s, now=clock.now(), principal=p, extraction_id=extraction_id)
        )


class RespondIn(Strict):
    accept: bool


@router.post("/extractions/{extraction_id}/respond", status_code=204, summary="专家答复评标邀请（接受或谢绝）")
def extraction_respond(
    extraction_id: IdPath, data: RespondIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.EXPERT_RESPOND)
) -> None:
    with db.transaction() as s:
        extraction.respond(session=s, now=clock.now(), principal=p, extraction_id=extraction_id, accept=data.accept)


class SpecialityIn(Strict):
    code: str = Field(min_length=1, max_length=20)
    name: str = Field(min_length=1, max_length=100)
    parent: str | None = Field(default=None, max_length=20)


class SpecialitiesIn(Strict):
    rows: list[SpecialityIn] = Field(min_length=1, max_length=5000)


class SpecialityOut(BaseModel):
    code: str
    name: str
    parent: str | None


@router.get("/specialities", response_model=list[SpecialityOut], summary="专家专业分类（公开）")
def specialities_list(db: DbDep, _: Principal = permit(Action.NOTICE_READ)) -> list[SpecialityOut]:
    with db.session(write=False) as s:
        return [SpecialityOut(code=x.code, name=x.name, parent=x.parent_code) for x in specialities.tree(s)]


@router.put("/specialities", summary="新增或更正专业分类节点（整批生效）")
def specialities_upsert(
    data: SpecialitiesIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.EXPERT_MANAGE)
) -> dict[str, int]:
    from ggzy.identity.services import actor_of

    with db.transaction() as s:
        rows = [(r.code, r.name, r.parent) for r in data.rows]
        return {"changed": specialities.upsert(s, now=clock.now(), actor=actor_of(p), rows=rows)}
