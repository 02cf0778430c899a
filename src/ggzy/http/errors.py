"""Domain errors map to HTTP here, once: JSON ``{code, message, detail}`` for the API, a page for
people. Unexpected errors say nothing about their cause to the client."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ggzy.common.errors import DomainError, Unauthenticated
from ggzy.http.middleware import BodyTooLarge

log = logging.getLogger("ggzy")

FIELD_NAMES = {
    "name": "名称",
    "credit_code": "统一社会信用代码",
    "estimated_amount": "估算金额",
    "region_code": "行政区划代码",
    "username": "用户名",
    "password": "密码",
    "trading_type": "交易类型",
    "reason": "理由",
    "catalogue_item_code": "目录项",
    "funding_source": "资金来源",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
    "regulator_org_id": "监督部门",
    "jurisdiction": "监管行业",
    "route": "交易方式",
    "org_name": "单位名称",
    "org_role": "市场主体身份",
    "display_name": "姓名",
    "id_number": "公民身份号码",
    "new_password": "新密码",
    "old_password": "原密码",
    "emergency_justification": "应急理由",
    "tenderer_credit_code": "招标人统一社会信用代码",
    "agency_credit_code": "代理机构统一社会信用代码",
    "emergency_awardee_credit_code": "承包单位统一社会信用代码",
    "note": "说明",
    "day": "日期",
    "is_workday": "是否工作日",
    "effective_from": "生效日期",
    "title": "标题",
    "basis": "依据",
    "code": "编号",
    "city_from": "市本级限额",
    "mandatory_from": "依法必须招标限额",
    "days": "有效天数",
    "price": "投标报价",
    "signed_on": "合同签订日期",
    "amount": "金额",
    "body": "内容",
    "answer": "答复",
    "method": "采购方式",
    "sections": "标段（包）",
    "docs_start": "文件发出开始时间",
    "docs_end": "文件发出截止时间",
    "question_deadline": "提问截止时间",
    "bid_deadline": "投标截止时间",
    "decryption_minutes": "开标解密时限",
    "backup_threshold": "备用解密门限",
    "backup_custodian_credit_codes": "备用解密保管单位",
    "content_key": "内容密钥",
    "share": "备用解密份额",
    "public_key": "公钥",
    "signature": "签名",
    "nonce": "挑战码",
    "fingerprint": "密钥指纹",
}

HTTP_MESSAGES = {
    400: ("bad_request", "请求格式不正确"),
    404: ("not_found", "页面或资源不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
    413: ("too_large", "请求内容过大"),
    415: ("unsupported_media_type", "请求内容类型不受支持，请使用 application/json"),
}


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


async def error_response(request: Request, status: int, code: str, message: str, detail: Any = None) -> Response:
    if wants_json(request):
        return JSONResponse({"code": code, "message": message, "detail": detail}, status_code=status)
    from ggzy.http.deps import resolve_principal
    from ggzy.http.pages import render

    with contextlib.suppress(DomainError):  # so the header shows who is signed in, also where no route matched
        await resolve_principal(request)
    ctx = {"status": status, "code": code, "message": message, "detail": detail}
    return render(request, "error.html", ctx, status=status)


def _validation_detail(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "form")]
        field = ".".join(loc)
        label = FIELD_NAMES.get(loc[-1], loc[-1]) if loc else "请求"
        out.append({"field": field, "message": f"{label}：{_zh(err)}"})
    return out


def _zh(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    known = {
        "missing": "必填",
        "string_too_short": f"至少 {ctx.get('min_length')} 个字符",
        "string_too_long": f"不能超过 {ctx.get('max_length')} 个字符",
        "string_pattern_mismatch": "格式不正确",
        "enum": f"取值不在允许范围内（{ctx.get('expected', '')}）",
        "extra_forbidden": "不允许的字段",
        "int_parsing": "应为整数",
        "decimal_parsing": "应为数字",
        "date_from_datetime_parsing": "应为日期",
        "greater_than_equal": f"不能小于 {ctx.get('ge')}",
        "less_than_equal": f"不能大于 {ctx.get('le')}",
        "decimal_max_places": f"小数不能超过 {ctx.get('decimal_places')} 位",
        "json_invalid": "JSON 格式错误",
        "model_attributes_type": "应为 JSON 对象",
        "dict_type": "应为 JSON 对象",
        "bool_parsing": "应为是/否",
        "date_parsing": "应为日期（YYYY-MM-DD）",
    }
    if kind in known:
        return known[kind]
    if kind == "value_error":
        return str(ctx.get("error", err.get("msg", "")))
    return str(err.get("msg", "取值不正确"))


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        if isinstance(exc, Unauthenticated) and not wants_json(request):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return await error_response(request, exc.status, exc.code, exc.message, exc.detail)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        detail = _validation_detail(exc)
        summary = "；".join(d["message"] for d in detail[:5]) or "请求内容不正确"
        return await error_response(request, 422, "validation_error", f"提交的内容有误：{summary}", detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code, message = HTTP_MESSAGES.get(exc.status_code, ("http_error", str(exc.detail)))
        return await error_response(request, exc.status_code, code, message)

    @app.exception_handler(BodyTooLarge)
    async def _too_large(request: Request, exc: BodyTooLarge) -> Response:
        return await error_response(request, 413, "too_large", "请求内容过大")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return await error_response(
            request, 500, "internal_error", "服务器内部错误，请稍后重试；如持续出现请联系交易中心"
        )
