"""How many sign-in tries a client gets: counted in the database, so that several processes on
one PostgreSQL share the counts and guesses sent in parallel cannot slip past them.

Two counters stand before every check of a password or a code:

- per client address, ADDRESS_LIMIT failed tries, then that address waits ADDRESS_WAIT. Unknown
  logins count too, so one address can neither guess across many logins nor make the server
  hash passwords without end;
- per login *and* address, LOCK_AFTER failed tries in a row lock that login from that address
  for LOCK_FOR. Someone elsewhere cannot lock a coach out; the coach's own wrong passwords and
  codes lock only where they were typed.

A try is taken with one INSERT … ON CONFLICT DO UPDATE … WHERE before the check. The row stays
locked (PostgreSQL) or the database does (SQLite) until the request's transaction ends, so the
check and its outcome are settled before the next try on the same counter is taken. A try that
succeeds is given back (`do_forgive`): only failures use up the allowance, so a whole office
behind one address can sign in every morning. A counter is forgotten ADDRESS_WAIT or LOCK_FOR
after its last try; `do_forget_expired` deletes such rows.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import case, delete, inspect, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from core.models import PendingSignIn, SignInCounter

LOCK_AFTER = 5  # failed tries in a row for one login from one address
LOCK_FOR = timedelta(minutes=15)
ADDRESS_LIMIT = 20  # failed tries from one address, whatever the login
ADDRESS_WAIT = timedelta(minutes=15)
FORGET_AT_ONCE = 100  # expired rows deleted per sign-in, so the clean-up stays cheap
IPV6_NETWORK = 64  # one IPv6 household or server usually holds a whole /64


class Refused(StrEnum):
    """Why a try was not even taken."""

    THROTTLED = "throttled"  # too many failed tries from this address
    LOCKED = "locked"  # too many failed tries in a row for this login from this address


class TooManyTries(Exception):
    """The try was refused before any check; `refused` says which counter was full."""

    def __init__(self, refused: Refused) -> None:
        super().__init__(refused.value)
        self.refused = refused


class Kind(StrEnum):
    ADDRESS = "address"
    LOGIN = "login"


def address_key(host: str) -> str:
    """The address as it is counted: IPv4 as it is, IPv6 as its /64 network (one client can
    easily change the rest), anything else (a test client's name) as given."""
    try:
        ip = ipaddress.ip_address(host.strip())
    except ValueError:
        return host.strip()[:64] or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/{IPV6_NETWORK}", strict=False))
    return str(ip)


def _take(
    session: Session,
    *,
    kind: Kind,
    login: str,
    address: str,
    limit: int,
    wait: timedelta,
    now: datetime,
) -> int | None:
    """Count one more try on a counter (a counter past its time starts again), or None when it
    is full. One statement, so two requests can never both take the last try."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    counted = col(SignInCounter.tries)
    stale = col(SignInCounter.expires_at) <= now
    statement = (
        insert(SignInCounter)
        .values(kind=kind.value, login=login, address=address, tries=1, expires_at=now + wait)
        .on_conflict_do_update(
            index_elements=[
                col(SignInCounter.kind),
                col(SignInCounter.login),
                col(SignInCounter.address),
            ],
            set_={"tries": case((stale, 1), else_=counted + 1), "expires_at": now + wait},
            where=or_(stale, counted < limit),
        )
        .returning(counted)
    )
    tries: int | None = session.execute(statement).scalar_one_or_none()
    return tries


def do_take_try(session: Session, *, login: str, address: str, now: datetime) -> int:
    """Take one sign-in try for this login from this address before checking anything; return
    how many tries in a row the login has now used from there (this one included), or raise
    TooManyTries. The address is counted first, so a refused address costs no more."""
    if (
        _take(
            session,
            kind=Kind.ADDRESS,
            login="",
            address=address,
            limit=ADDRESS_LIMIT,
            wait=ADDRESS_WAIT,
            now=now,
        )
        is None
    ):
        raise TooManyTries(Refused.THROTTLED)
    tries = _take(
        session,
        kind=Kind.LOGIN,
        login=login[:64],
        address=address,
        limit=LOCK_AFTER,
        wait=LOCK_FOR,
        now=now,
    )
    if tries is None:
        raise TooManyTries(Refused.LOCKED)
    return tries


def do_forgive(session: Session, *, login: str, address: str, tries: int = 1) -> None:
    """A sign-in succeeded: the login's failures from this address are forgotten and the
    address gets back the `tries` this sign-in took (its password and code steps)."""
    counter = col(SignInCounter.tries)
    session.execute(
        delete(SignInCounter).where(
            col(SignInCounter.kind) == Kind.LOGIN.value,
            col(SignInCounter.login) == login[:64],
            col(SignInCounter.address) == address,
        )
    )
    session.execute(
        update(SignInCounter)
        .where(
            col(SignInCounter.kind) == Kind.ADDRESS.value,
            col(SignInCounter.login) == "",
            col(SignInCounter.address) == address,
        )
        .values(tries=case((counter > tries, counter - tries), else_=0))
    )


def do_unlock_login(session: Session, *, login: str) -> None:
    """Lift every lock on this login (an admin gave the coach a new password)."""
    session.execute(
        delete(SignInCounter).where(
            col(SignInCounter.kind) == Kind.LOGIN.value, col(SignInCounter.login) == login[:64]
        )
    )


def do_forget_expired(session: Session, *, now: datetime) -> None:
    """Delete counters and half-done sign-ins whose time is over, a few at a time.

    Rows another request holds are skipped (FOR UPDATE SKIP LOCKED on PostgreSQL), so this
    never waits; call it as the last statement of a sign-in, when nothing else will wait
    either, and it cannot take part in a deadlock."""
    model: type[SignInCounter] | type[PendingSignIn]
    for model in (SignInCounter, PendingSignIn):
        keys = inspect(model).primary_key
        expired = (
            select(*keys)
            .where(col(model.expires_at) <= now)
            .limit(FORGET_AT_ONCE)
            .with_for_update(skip_locked=True)
        )
        session.execute(delete(model).where(tuple_(*keys).in_(expired)))
