from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ggzy.http.deps import ClockDep, DbDep, IdPath, OffsetQuery, permit
from ggzy.identity.enums import Jurisdiction
from ggzy.identity.permissions import Action, Principal
from ggzy.identity.services import actor_of
from ggzy.registration import selectors, services, table_services
from ggzy.registration.enums import FundingSource, ProjectStatus, Route, RuleTableKind, TradingType
from ggzy.registration.models import Project, RuleTableVersion
from ggzy.registration.schemas import (
    CatalogueItemIn,
    ProjectIn,
    ProjectOut,
    ReasonIn,
    RoutePreviewIn,
    RoutingOut,
    ThresholdRuleIn,
    VersionActivateIn,
    VersionCreateIn,
    VersionOut,
)

router = APIRouter(tags=["进场登记"])


def project_out(p: Project, principal: Principal) -> ProjectOut:
    return ProjectOut(
        id=p.id,
        code=p.code,
        name=p.name,
        trading_type=TradingType(p.trading_type),
        catalogue_item_code=p.catalogue_item_code,
        funding_source=FundingSource(p.funding_source),
        estimated_amount=p.estimated_amount,
        region_code=p.region_code,
        tenderer_org_id=p.tenderer_org_id,
        tenderer_name=p.tenderer.name,
        agency_org_id=p.agency_org_id,
        regulator_org_id=p.regulator_org_id,
        jurisdiction=Jurisdiction(p.jurisdiction),
        branch_code=p.branch.code if p.branch else None,
        branch_name=p.branch.name if p.branch else None,
        must_tender=p.must_tender,
        routing_reasons=[r for r in p.routing_reasons.split("\n") if r],
        status=ProjectStatus(p.status),
        status_label=ProjectStatus(p.status).label,
        route=Route(p.route),
        fast_track=p.fast_track,
        emergency_signed_at=p.emergency_signed_at,
        review_comment=p.review_comment,
        created_at=p.created_at,
        submitted_at=p.submitted_at,
        reviewed_at=p.reviewed_at,
        actions=services.actions_for(principal, p),
    )


def version_out(v: RuleTableVersion) -> VersionOut:
    return VersionOut(
        id=v.id,
        kind=RuleTableKind(v.kind),
        number=v.number,
        title=v.title,
        basis=v.basis,
        status=v.status,
        effective_from=v.effective_from,
        catalogue_items=[
            CatalogueItemIn(
                code=i.code,
                trading_type=TradingType(i.trading_type),
                name=i.name,
                scope=i.scope,
                mandatory_from=i.mandatory_from,
                basis=i.basis,
            )
            for i in v.catalogue_items
        ],
        threshold_rules=[
            ThresholdRuleIn(trading_type=TradingType(t.trading_type), city_from=t.city_from, basis=t.basis)
            for t in v.threshold_rules
        ],
    )


@router.get("/projects", response_model=list[ProjectOut], summary="项目列表（按权限范围）")
def list_projects(
    db: DbDep,
    status: ProjectStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: OffsetQuery = 0,
    p: Principal = permit(Action.PROJECT_READ),
) -> list[ProjectOut]:
    with db.session(write=False) as s:
        return [project_out(x, p) for x in selectors.projects(s, p, status=status, limit=limit, offset=offset)]


@router.post("/projects", response_model=ProjectOut, status_code=201, summary="新建进场登记（草稿）")
def create_project(
    data: ProjectIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.PROJECT_CREATE)
) -> ProjectOut:
    with db.transaction() as s:
        return project_out(services.project_create(session=s, now=clock.now(), principal=p, data=data), p)


@router.post("/projects/route-preview", response_model=RoutingOut, summary="预判受理分中心及理由")
def route_preview(
    data: RoutePreviewIn, db: DbDep, clock: ClockDep, _: Principal = permit(Action.PROJECT_ROUTE_PREVIEW)
) -> RoutingOut:
    with db.session(write=False) as s:
        routing, _c, _t = services.preview_route(
            s,
            now=clock.now(),
            trading_type=data.trading_type.value,
            catalogue_code=data.catalogue_item_code,
            amount=data.estimated_amount,
            region_code=data.region_code,
        )
    return RoutingOut(
        branch_code=routing.branch_code,
        branch_name=routing.branch_name,
        must_tender=routing.must_tender,
        reasons=routing.reasons,
    )


@router.get("/projects/{project_id}", response_model=ProjectOut, summary="项目详情")
def get_project(project_id: IdPath, db: DbDep, p: Principal = permit(Action.PROJECT_READ)) -> ProjectOut:
    with db.session(write=False) as s:
        return project_out(services.project_for(s, p, project_id), p)


@router.put("/projects/{project_id}", response_model=ProjectOut, summary="修改（草稿或已退回）")
def edit_project(
    project_id: IdPath, data: ProjectIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.PROJECT_EDIT)
) -> ProjectOut:
    with db.transaction() as s:
        return project_out(
            services.project_edit(session=s, now=clock.now(), principal=p, project_id=project_id, data=data), p
        )


@router.post("/projects/{project_id}/submit", response_model=ProjectOut, summary="提交审核")
def submit(project_id: IdPath, db: DbDep, clock: ClockDep, p: Principal = permit(Action.PROJECT_EDIT)) -> ProjectOut:
    with db.transaction() as s:
        return project_out(services.project_submit(session=s, now=clock.now(), principal=p, project_id=project_id), p)


@router.post("/projects/{project_id}/withdraw", response_model=ProjectOut, summary="撤回")
def withdraw(project_id: IdPath, db: DbDep, clock: ClockDep, p: Principal = permit(Action.PROJECT_EDIT)) -> ProjectOut:
    with db.transaction() as s:
        return project_out(services.project_withdraw(session=s, now=clock.now(), principal=p, project_id=project_id), p)


@router.post("/projects/{project_id}/return", response_model=ProjectOut, summary="退回（须写明理由）")
def return_(
    project_id: IdPath, data: ReasonIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.PROJECT_REVIEW)
) -> ProjectOut:
    with db.transaction() as s:
        return project_out(
            services.project_return(session=s, now=clock.now(), principal=p, project_id=project_id, reason=data.reason),
            p,
        )


@router.post("/projects/{project_id}/accept", response_model=ProjectOut, summary="受理进场并赋码")
def accept(project_id: IdPath, db: DbDep, clock: ClockDep, p: Principal = permit(Action.PROJECT_REVIEW)) -> ProjectOut:
    with db.transaction() as s:
        return project_out(services.project_accept(session=s, now=clock.now(), principal=p, project_id=project_id), p)


@router.post("/projects/{project_id}/accept-direct-award", response_model=ProjectOut, summary="受理应急直接发包")
def accept_direct(
    project_id: IdPath, db: DbDep, clock: ClockDep, p: Principal = permit(Action.PROJECT_REVIEW)
) -> ProjectOut:
    with db.transaction() as s:
        return project_out(
            services.project_accept_direct_award(session=s, now=clock.now(), principal=p, project_id=project_id), p
        )


@router.post("/projects/{project_id}/emergency-signoff", response_model=ProjectOut, summary="监督部门签批应急直接发包")
def emergency_signoff(
    project_id: IdPath,
    data: ReasonIn,
    db: DbDep,
    clock: ClockDep,
    p: Principal = permit(Action.PROJECT_EMERGENCY_SIGNOFF),
) -> ProjectOut:
    with db.transaction() as s:
        return project_out(
            services.project_emergency_signoff(
                session=s, now=clock.now(), principal=p, project_id=project_id, opinion=data.reason
            ),
            p,
        )


@router.post("/projects/{project_id}/emergency-reject", response_model=ProjectOut, summary="监督部门不予签批")
def emergency_reject(
    project_id: IdPath,
    data: ReasonIn,
    db: DbDep,
    clock: ClockDep,
    p: Principal = permit(Action.PROJECT_EMERGENCY_SIGNOFF),
) -> ProjectOut:
    with db.transaction() as s:
        return project_out(
            services.project_emergency_reject(
                session=s, now=clock.now(), principal=p, project_id=project_id, reason=data.reason
            ),
            p,
        )


@router.post("/projects/{project_id}/fast-track", response_model=ProjectOut, summary="标记重点项目快速交易")
def fast_track(
    project_id: IdPath, data: ReasonIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.PROJECT_FAST_TRACK)
) -> ProjectOut:
    with db.transaction() as s:
        return project_out(
            services.project_fast_track(
                session=s, now=clock.now(), principal=p, project_id=project_id, reason=data.reason
            ),
            p,
        )


@router.get("/rule-tables/{kind}/versions", response_model=list[VersionOut], summary="进场目录/限额标准的版本")
def list_versions(kind: RuleTableKind, db: DbDep, _: Principal = permit(Action.CATALOGUE_READ)) -> list[VersionOut]:
    with db.session(write=False) as s:
        return [version_out(v) for v in selectors.versions(s, kind)]


@router.post("/rule-tables/versions", response_model=VersionOut, status_code=201, summary="新建草稿版本（复制最新版）")
def create_version(
    data: VersionCreateIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.CATALOGUE_MANAGE)
) -> VersionOut:
    with db.transaction() as s:
        return version_out(
            table_services.version_create(
                session=s, now=clock.now(), actor=actor_of(p), kind=data.kind, title=data.title, basis=data.basis
            )
        )


@router.post(
    "/rule-tables/catalogue/versions/{version_id}/items", response_model=VersionOut, summary="新增或修改目录项"
)
def put_item(
    version_id: IdPath,
    data: CatalogueItemIn,
    db: DbDep,
    clock: ClockDep,
    p: Principal = permit(Action.CATALOGUE_MANAGE),
) -> VersionOut:
    with db.transaction() as s:
        return version_out(
            table_services.catalogue_item_put(
                session=s, now=clock.now(), actor=actor_of(p), version_id=version_id, data=data
            )
        )


@router.delete(
    "/rule-tables/catalogue/versions/{version_id}/items/{code}", response_model=VersionOut, summary="删除目录项"
)
def remove_item(
    version_id: IdPath, code: str, db: DbDep, clock: ClockDep, p: Principal = permit(Action.CATALOGUE_MANAGE)
) -> VersionOut:
    with db.transaction() as s:
        return version_out(
            table_services.catalogue_item_remove(
                session=s, now=clock.now(), actor=actor_of(p), version_id=version_id, code=code
            )
        )


@router.post("/rule-tables/threshold/versions/{version_id}/rules", response_model=VersionOut, summary="设置限额")
def put_threshold(
    version_id: IdPath,
    data: ThresholdRuleIn,
    db: DbDep,
    clock: ClockDep,
    p: Principal = permit(Action.CATALOGUE_MANAGE),
) -> VersionOut:
    with db.transaction() as s:
        return version_out(
            table_services.threshold_put(
                session=s, now=clock.now(), actor=actor_of(p), version_id=version_id, data=data
            )
        )


@router.post("/rule-tables/{kind}/versions/{version_id}/activate", response_model=VersionOut, summary="发布生效")
def activate(
    kind: RuleTableKind,
    version_id: IdPath,
    data: VersionActivateIn,
    db: DbDep,
    clock: ClockDep,
    p: Principal = permit(Action.CATALOGUE_MANAGE),
) -> VersionOut:
    with db.transaction() as s:
        return version_out(
            table_services.version_activate(
                session=s,
                now=clock.now(),
                actor=actor_of(p),
                version_id=version_id,
                kind=kind,
                effective_from=data.effective_from,
            )
        )


@router.delete("/rule-tables/{kind}/versions/{version_id}", status_code=204, summary="删除草稿版本")
def discard(
    kind: RuleTableKind, version_id: IdPath, db: DbDep, clock: ClockDep, p: Principal = permit(Action.CATALOGUE_MANAGE)
) -> None:
    with db.transaction() as s:
        table_services.version_discard(session=s, now=clock.now(), actor=actor_of(p), version_id=version_id, kind=kind)
