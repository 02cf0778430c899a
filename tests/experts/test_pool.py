"""No avoided expert is ever eligible: the pool query against an independent oracle, over many
generated libraries (property-based), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ggzy.experts.pool import PoolQuery, breakdown, eligible
from ggzy.experts.rules import Limits
from tests.experts.helpers import add_expert, seed_specialities

DAY = date(2026, 12, 28)
TENDERER, SUPERVISOR, BIDDER, OTHER = "91220200MA1000010", "11220200MB0200002", "91220204MA1000019", "91220201MA1200001"
LIMITS = Limits()

expert = st.fixed_dictionaries(
    {
        "speciality": st.sampled_from(["A0101", "A02", "B01"]),
        "employer": st.sampled_from([TENDERER, SUPERVISOR, BIDDER, OTHER, OTHER, OTHER]),
        "region": st.sampled_from(["220202", "220221", "220100"]),
        "status": st.sampled_from(["active", "active", "active", "suspended", "blacklisted", "pending", "retired"]),
        "born": st.sampled_from([date(1950, 1, 1), date(1956, 12, 29), date(1956, 12, 28), date(1980, 5, 5)]),
        "conflicts": st.sampled_from([(), (), (TENDERER,), (BIDDER,), ("91220211MA1000020",)]),
        "busy": st.sampled_from([(), (), (DAY,), (DAY + timedelta(days=1),)]),
        "services": st.integers(min_value=0, max_value=4),
    }
)


def oracle(e: dict, services: int) -> bool:
    """The rules, written again from the regulation, not from the query."""
    age_limit_birth = DAY.replace(year=DAY.year - LIMITS.max_age)
    return (
        e["status"] == "active"
        and e["speciality"].startswith("A01")
        and e["region"].startswith("2202")
        and e["born"] > age_limit_birth
        and e["employer"] not in (TENDERER, SUPERVISOR, BIDDER)
        and not set(e["conflicts"]) & {TENDERER, BIDDER}
        and DAY not in e["busy"]
        and services < LIMITS.max_services_per_tenderer
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(expert, min_size=1, max_size=25))
def test_no_avoided_expert_is_ever_eligible(db, experts):
    with db.session() as s:
        seed_specialities(s)
        expected = []
        for n, e in enumerate(experts, 1):
            services = tuple((TENDERER, DAY - timedelta(days=30 * (i + 1))) for i in range(e["services"]))
            row = add_expert(s, n, **{k: v for k, v in e.items() if k != "services"}, services=services)
            if oracle(e, e["services"]):
                expected.append(row.id)
        q = PoolQuery("A01", ["2202"], DAY, TENDERER, [SUPERVISOR], [BIDDER])
        assert eligible(s, q, LIMITS) == sorted(expected)
        removed = breakdown(s, q, LIMITS)
        assert sum(n for _, n in removed) == len(experts) - len(expected)
        s.rollback()


def test_services_older_than_a_year_do_not_count(db):
    with db.session() as s:
        seed_specialities(s)
        old = tuple((TENDERER, DAY - timedelta(days=400)) for _ in range(5))
        recent = tuple((TENDERER, DAY - timedelta(days=10)) for _ in range(3))
        a = add_expert(s, 1, services=old)
        add_expert(s, 2, services=recent)
        assert eligible(s, PoolQuery("A01", ["2202"], DAY, TENDERER), LIMITS) == [a.id]
        s.rollback()
