"""HTML forms go through the same Pydantic schemas as the API, with the same Chinese messages."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from ggzy.common.errors import InvalidInput
from ggzy.http.errors import FIELD_NAMES, _zh

M = TypeVar("M", bound=BaseModel)


async def form_data(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


def parse(model: type[M], values: dict[str, Any]) -> M:
    cleaned = {
        k: (None if v == "" and k in _optional(model) else v) for k, v in values.items() if k in model.model_fields
    }
    try:
        return model.model_validate(cleaned)
    except ValidationError as exc:
        msgs = []
        for err in exc.errors():
            loc = [str(x) for x in err.get("loc", ())]
            label = FIELD_NAMES.get(loc[-1], loc[-1]) if loc else "表单"
            msgs.append(f"{label}：{_zh(dict(err))}")
        raise InvalidInput("；".join(msgs), code="validation_error") from exc


def _optional(model: type[BaseModel]) -> set[str]:
    return {name for name, f in model.model_fields.items() if not f.is_required() and f.default is None}
