"""Keeping the library: admission conditions, the status changes a regulator may make, and
declarations that feed the avoidance rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from ggzy.common.errors import Conflict, InvalidInput, RuleViolation
from ggzy.experts import library
from ggzy.experts.enums import ExpertStatus as S
from ggzy.experts.pool import PoolQuery, eligible
from ggzy.experts.rules import Limits
from ggzy.identity import selectors as identity_selectors
from ggzy.identity.models import User
from ggzy.identity.rules import make_id_number, make_uscc
from tests.experts.helpers import seed_specialities

EMPLOYER = make_uscc("91220201MA1200001")
TENDERER = make_uscc("91220200MA1000010")


def _principal(db, username):
    with db.session(write=False) as s:
        return identity_selectors.principal_of(s.scalar(select(User).where(User.username == username)))


def _register(s, clock, p, *, born="19700101", years=15, specialities=("A0101",), n=1):
    return library.expert_register(
        session=s, now=clock.now(), principal=p, name="李工", id_number=make_id_number(f"220202{born}{n:03d}"),
        employer_credit_code=EMPLOYER, title="高级工程师", years=years, region_code="220202", phone="13800000000",
        specialities=list(specialities), limits=Limits(),
    )  # fmt: skip


def test_admission_conditions_are_checked_with_their_basis(db, clock):
    op = _principal(db, "operator")
    with db.transaction() as s:
        seed_specialities(s)
        for kw in ({"years": 5}, {"born": "19500101"}):
            with pytest.raises(RuleViolation) as e:
                _register(s, clock, op, **kw)
            assert e.value.code == "admission_conditions" and "从业 8 年以上" in e.value.message
        with pytest.raises(InvalidInput) as e:
            _register(s, clock, op, specialities=("Z99",))
        assert e.value.code == "speciality_unknown" and "Z99" in e.value.message
        x = _register(s, clock, op)
        assert x.status == "pending" and x.birth_date.year == 1970
        with pytest.raises(Conflict):
            _register(s, clock, op)


def test_status_changes_and_what_they_do_to_the_pool(db, clock):
    op, reg = _principal(db, "operator"), _principal(db, "regulator")
    day = (clock.now() + timedelta(days=10)).date()
    q = PoolQuery("A01", ["2202"], day, TENDERER)
    with db.transaction() as s:
        seed_specialities(s)
        e = _register(s, clock, op)
        assert eligible(s, q, Limits()) == []  # pending: not yet in the pool
        library.expert_set_status(session=s, now=clock.now(), principal=reg, expert_id=e.id, status=S.ACTIVE, reason="")
        assert e.admitted_at is not None and eligible(s, q, Limits()) == [e.id]
        with pytest.raises(InvalidInput):
            library.expert_set_status(
                session=s, now=clock.now(), principal=reg, expert_id=e.id, status=S.SUSPENDED, reason=" "
            )
        library.expert_set_status(
            session=s, now=clock.now(), principal=reg, expert_id=e.id, status=S.SUSPENDED,
            reason="年度考核不合格", until=day + timedelta(days=180),
        )  # fmt: skip
        assert eligible(s, q, Limits()) == []
        library.expert_set_status(
            session=s, now=clock.now(), principal=reg, expert_id=e.id, status=S.ACTIVE, reason="期满恢复"
        )
        library.busy_declare(session=s, now=clock.now(), principal=op, expert_id=e.id, day=day, reason="出差")
        assert eligible(s, q, Limits()) == []  # busy that day
        assert eligible(s, PoolQuery("A01", ["2202"], day + timedelta(days=1), TENDERER), Limits()) == [e.id]
        library.conflict_declare(
            session=s,
            now=clock.now(),
            principal=op,
            expert_id=e.id,
            credit_code=TENDERER,
            kind="former_employer",
            note="",
        )
        assert eligible(s, PoolQuery("A01", ["2202"], day + timedelta(days=1), TENDERER), Limits()) == []
        library.expert_set_status(
            session=s, now=clock.now(), principal=reg, expert_id=e.id, status=S.BLACKLISTED, reason="串通评标"
        )
        with pytest.raises(Conflict):  # the blacklist is final here: no reinstatement by status change
            library.expert_set_status(
                session=s, now=clock.now(), principal=reg, expert_id=e.id, status=S.ACTIVE, reason=""
            )
