"""The sign-in counters' table stays small: a counter past its time is deleted by a later
sign-in, and an admin's new password lifts a coach's locks everywhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from core.db import transaction
from core.models import Role, SignInCounter
from core.services.coaches import do_add_coach, do_reset_password
from core.services.panel_sessions import LOCK_AFTER, SignInError, do_sign_in

PASSWORD = "correct horse battery"
NOON = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def test_old_counters_are_deleted_and_a_new_password_lifts_locks(engine) -> None:
    with transaction(engine) as session:
        boss = do_add_coach(
            session, login="boss", display_name="Boss", password=PASSWORD, role=Role.ADMIN
        )
        anna = do_add_coach(session, login="anna", display_name="Anna", password=PASSWORD)
    for address in ("198.51.100.1", "198.51.100.2"):
        for _ in range(LOCK_AFTER):
            with transaction(engine) as session, pytest.raises(SignInError):
                do_sign_in(session, login="anna", password="no", address=address, now=NOON)
    with transaction(engine) as session:
        assert len(session.exec(select(SignInCounter)).all()) == 4  # 2 addresses, 2 pairs
        do_reset_password(session, by=boss, coach=anna, password="a new long secret")
    with transaction(engine) as session:
        kinds = sorted(c.kind for c in session.exec(select(SignInCounter)).all())
        assert kinds == ["address", "address"]
        do_sign_in(
            session, login="anna", password="a new long secret", address="198.51.100.1", now=NOON
        )
    later = NOON + timedelta(minutes=16)
    with transaction(engine) as session:
        do_sign_in(
            session, login="anna", password="a new long secret", address="192.0.2.1", now=later
        )
    with transaction(engine) as session:
        left = [(c.kind, c.address) for c in session.exec(select(SignInCounter)).all()]
        assert left == [("address", "192.0.2.1")]  # the two old ones are gone
