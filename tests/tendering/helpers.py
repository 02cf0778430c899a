"""Building blocks for tendering tests: an accepted project and a lawful tender set-up."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient


def accepted_project_id(client: TestClient, kind: str = "construction") -> int:
    """A demo project already accepted by the centre: construction (松花江堤防) or procurement (永吉一中)."""
    name = "松花江南岸" if kind == "construction" else "永吉县第一中学"
    for p in client.get("/api/v1/projects?status=accepted").json():
        if p["name"].startswith(name):
            return int(p["id"])
    raise AssertionError(f"no accepted {kind} project in the demo")


def tender_body(
    project_id: int, start: datetime, *, method: str = "construction_open", days: int = 20, **extra: Any
) -> dict[str, Any]:
    body = {
        "project_id": project_id,
        "name": "松花江南岸（船营段）堤防加固工程施工招标",
        "method": method,
        "content": "堤防加固、护岸及附属工程施工。",
        "sections": [
            {
                "name": "第一标段（K0+000～K3+200）",
                "estimate": "20000000.00",
                "evaluation_method": "comprehensive",
                "qualification": "水利水电工程施工总承包二级及以上",
            },
            {
                "name": "第二标段（K3+200～K6+500）",
                "estimate": "18600000.00",
                "evaluation_method": "comprehensive",
                "qualification": "水利水电工程施工总承包三级及以上",
            },
        ],
        "docs_start": start.isoformat(),
        "docs_end": (start + timedelta(days=7)).isoformat(),
        "question_deadline": (start + timedelta(days=days - 5)).isoformat(),
        "bid_deadline": (start + timedelta(days=days)).isoformat(),
    }
    body.update(extra)
    return body
