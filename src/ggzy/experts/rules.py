"""The library's limits, configurable, each with its basis (../shared/reference/regulations.md)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    # Local practice, configurable: "age normally up to 70", "8 years in the field".
    max_age: int = 70
    min_years: int = 8
    # How often one expert may serve the same tenderer in 12 months before being avoided
    # (a local anti-capture rule; configurable).
    max_services_per_tenderer: int = 3


AVOIDANCE_BASIS = "评标委员会和评标方法暂行规定第十二条；评标专家和评标专家库管理办法（发改委令第26号）"
