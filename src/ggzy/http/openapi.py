"""The OpenAPI document says what clients really get: every error is ``{code, message, detail}``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

ERRORS = {
    "401": "未登录或令牌无效",
    "403": "无权执行（含 CSRF 校验失败）",
    "404": "不存在或不可见",
    "409": "对象当前状态不允许该操作",
    "413": "请求内容过大",
    "415": "请求内容类型不是 application/json",
    "422": "输入不合法，或违反有法律依据的业务规则",
    "429": "登录失败次数过多，账号已锁定",
}


class ErrorOut(BaseModel):
    code: str = Field(description="稳定的错误代码，如 validation_error、not_in_catalogue")
    message: str = Field(description="中文说明")
    detail: Any = Field(default=None, description="字段错误列表或所依据的规则")


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Error"] = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        for operations in schema.get("paths", {}).values():
            for op in operations.values():
                responses = op.setdefault("responses", {})
                for status, description in ERRORS.items():
                    responses[status] = {"description": description, **ref}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
