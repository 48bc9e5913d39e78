"""The `polku` command: coach accounts, invites, appointments and migrations."""

from __future__ import annotations

import io
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlmodel import Session, select

from core.db import make_engine, transaction
from core.models import AuditEvent, Coach, InviteCode
from core.services.coaches import check_password
from core.settings import get_settings
from polku import cli
from polku.migrations import (
    MIGRATION_LOCK_KEY,
    DatabaseNotReady,
    alembic_config,
    migration_lock,
    prepare_database,
    upgrade_to_head,
)


@pytest.fixture
def polku_env(monkeypatch, database_url, engine, tmp_path):
    """Point the CLI at the test database, with no token (sandbox), in an empty folder."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "")
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield engine
    get_settings.cache_clear()


def run(monkeypatch, argv: list[str], stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return cli.main(argv)


def test_coach_add_reads_the_password_from_stdin_and_hashes_it(monkeypatch, polku_env, capsys):
    code = run(
        monkeypatch,
        ["coach", "add", "--login", "maija", "--name", "Maija M", "--role", "admin"],
        "long enough password\n",
    )
    assert code == 0
    assert "maija" in capsys.readouterr().out
    with Session(polku_env) as session:
        coach = session.exec(select(Coach)).one()
        assert coach.role == "admin"
        assert coach.password_hash.startswith("$argon2")
        assert check_password(coach, "long enough password")
        assert not check_password(coach, "wrong password")
        assert "coach.create" in session.exec(select(AuditEvent.action)).all()


def test_coach_add_takes_no_password_on_the_command_line(capsys):
    """A password in argv would end up in shell history and process lists."""
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(
            ["coach", "add", "--login", "x", "--name", "y", "--password", "z"]
        )
    assert "unrecognized arguments: --password" in capsys.readouterr().err


def test_coach_add_refuses_a_short_password_kindly(monkeypatch, polku_env, capsys):
    code = run(monkeypatch, ["coach", "add", "--login", "maija", "--name", "Maija"], "short\n")
    assert code == 2
    assert "at least 10 characters" in capsys.readouterr().err


def test_invite_prints_the_deep_link_and_writes_a_qr_png(monkeypatch, polku_env, tmp_path, capsys):
    run(
        monkeypatch,
        ["coach", "add", "--login", "maija", "--name", "Maija"],
        "long enough password\n",
    )
    qr = tmp_path / "invite.png"
    assert run(monkeypatch, ["invite", "--coach", "maija", "--qr", str(qr)]) == 0
    out = capsys.readouterr().out
    with Session(polku_env) as session:
        code = session.exec(select(InviteCode.code)).one()
    assert f"https://t.me/polku_sandbox_bot?start={code}" in out
    assert qr.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_invite_for_an_unknown_coach_fails_clearly(monkeypatch, polku_env, capsys):
    assert run(monkeypatch, ["invite", "--coach", "nobody"]) == 2
    assert "no active coach" in capsys.readouterr().err


@pytest.fixture
def a_youth(polku_env):
    from core.db import transaction
    from core.models import Consent, Youth

    with transaction(polku_env) as session:
        youth = Youth(telegram_user_id=5, chat_id=5, language="fi", consent=Consent.GIVEN)
        session.add(youth)
    return youth


def test_appointment_add_move_cancel_and_list(monkeypatch, polku_env, a_youth, capsys):
    from core.models import Appointment, OutboxMessage

    assert (
        run(
            monkeypatch,
            [
                "appointment",
                "add",
                "--youth",
                str(a_youth.id),
                "--kind",
                "trial_day",
                "--title",
                "Kokki-linja",
                "--start",
                "2031-05-06 10:00",
                "--place",
                "Stadin AO",
            ],
        )
        == 0
    )
    with Session(polku_env) as session:
        appointment = session.exec(select(Appointment)).one()
        assert appointment.starts_at.isoformat() == "2031-05-06T07:00:00+00:00"  # 10:00 EEST
        kinds = sorted(r.kind for r in session.exec(select(OutboxMessage)).all())
        assert kinds == ["booked", "followup", "reminder", "reminder"]
    assert (
        run(
            monkeypatch,
            ["appointment", "move", "--id", str(appointment.id), "--start", "2031-05-07 12:00"],
        )
        == 0
    )
    assert run(monkeypatch, ["appointment", "list", "--youth", str(a_youth.id)]) == 0
    assert "2031-05-07 12:00\ttrial_day\tscheduled" in capsys.readouterr().out
    assert run(monkeypatch, ["appointment", "cancel", "--id", str(appointment.id)]) == 0
    with Session(polku_env) as session:
        assert session.exec(select(Appointment.status)).one() == "cancelled"


def test_appointment_add_refuses_a_past_time_kindly(monkeypatch, polku_env, a_youth, capsys):
    code = run(
        monkeypatch,
        [
            "appointment",
            "add",
            "--youth",
            str(a_youth.id),
            "--kind",
            "meeting",
            "--title",
            "x",
            "--start",
            "2001-01-01 10:00",
        ],
    )
    assert code == 2
    assert "in the past" in capsys.readouterr().err


def test_csv_import_books_all_rows(monkeypatch, polku_env, a_youth, tmp_path, capsys):
    from core.models import Appointment

    schedule = tmp_path / "schedule.csv"
    schedule.write_text(
        "youth_id,kind,title,start,place,latitude,longitude\n"
        f'{a_youth.id},trial_day,Kokki-linja,2031-05-06 10:00,Stadin AO,"60,2",24.9\n'
        f"{a_youth.id},introduction,Autoala,2031-05-08 09:00,Varia,,\n",
        encoding="utf-8",
    )
    assert run(monkeypatch, ["appointment", "import", str(schedule)]) == 0
    assert "Imported 2 appointment(s)." in capsys.readouterr().out
    with Session(polku_env) as session:
        rows = session.exec(select(Appointment).order_by(Appointment.starts_at)).all()
    assert [(a.title, a.latitude) for a in rows] == [("Kokki-linja", 60.2), ("Autoala", None)]


def test_csv_import_with_errors_imports_nothing_and_names_the_lines(
    monkeypatch, polku_env, a_youth, tmp_path, capsys
):
    from core.models import Appointment

    schedule = tmp_path / "schedule.csv"
    schedule.write_text(
        "youth_id,kind,title,start\n"
        f"{a_youth.id},trial_day,Kokki-linja,2031-05-06 10:00\n"
        f"{a_youth.id},party,Bileet,2031-05-06 10:00\n"
        "999,trial_day,Autoala,2031-05-06 10:00\n"
        f"{a_youth.id},trial_day,Hius,6.5.2031 klo 10\n",
        encoding="utf-8",
    )
    assert run(monkeypatch, ["appointment", "import", str(schedule)]) == 2
    err = capsys.readouterr().err
    assert "line 3: kind must be one of" in err
    assert "line 4: no young person with id 999" in err
    assert "line 5: start must look like 2026-12-01 10:00" in err
    assert "Nothing imported: 3 row(s) need fixing." in err
    with Session(polku_env) as session:
        assert session.exec(select(Appointment)).all() == []


# `polku migrate`, and the locked upgrade that `polku serve` also runs on start.


@pytest.fixture
def empty_db(monkeypatch, database_url, tmp_path):
    """Point the CLI at an empty database (no tables at all)."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


def revisions(database_url: str) -> set[str]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return set()
            return set(
                connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
            )
    finally:
        engine.dispose()


def head_and_previous() -> tuple[str, str]:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision("head")
    return head.revision, head.down_revision


def test_migrate_brings_an_older_database_to_head_and_then_does_nothing(
    monkeypatch, empty_db, capsys
):
    head, previous = head_and_previous()
    command.upgrade(alembic_config(empty_db), previous)
    assert run(monkeypatch, ["migrate"]) == 0
    assert capsys.readouterr().out == "Database migrated; it is up to date.\n"
    assert revisions(empty_db) == {head}
    assert run(monkeypatch, ["migrate"]) == 0
    assert capsys.readouterr().out == "Database is up to date.\n"


def test_without_auto_migrate_an_older_database_is_refused_and_a_current_one_served(empty_db):
    _head, previous = head_and_previous()
    command.upgrade(alembic_config(empty_db), previous)
    with pytest.raises(DatabaseNotReady, match="run `polku migrate`"):
        prepare_database(empty_db, auto_migrate=False)
    assert revisions(empty_db) == {previous}  # refused means untouched
    prepare_database(empty_db, auto_migrate=True)
    prepare_database(empty_db, auto_migrate=False)  # at head: nothing to refuse


def test_a_database_of_a_newer_polku_is_refused_clearly(monkeypatch, empty_db, capsys):
    engine = make_engine(empty_db)
    with transaction(engine) as session:
        session.connection().execute(text("CREATE TABLE alembic_version (version_num text)"))
        session.connection().execute(text("INSERT INTO alembic_version VALUES ('f00d')"))
    engine.dispose()
    assert run(monkeypatch, ["migrate"]) == 2
    assert "revision f00d, which this version of Polku does not know" in capsys.readouterr().err


def test_an_unreachable_database_is_one_line_without_the_password(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgresql://polku:hunter22@127.0.0.1:1/polku")
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    try:
        assert run(monkeypatch, ["migrate"]) == 2
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert err.startswith(
        "polku: cannot reach the database postgresql://polku:***@127.0.0.1:1/polku: "
    )
    assert len(err.strip().splitlines()) == 1
    assert "hunter22" not in err


def waiting_for_the_migration_lock(database_url: str) -> bool:
    """True when some connection waits for the migration lock (PostgreSQL's lock table)."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return bool(
                connection.execute(
                    text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                        "AND classid = :high AND objid = :low AND objsubid = 1 AND NOT granted"
                    ),
                    {"high": MIGRATION_LOCK_KEY >> 32, "low": MIGRATION_LOCK_KEY & 0xFFFFFFFF},
                ).scalar()
            )
    finally:
        engine.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_an_upgrade_waits_for_the_migration_lock(database_url):
    engine = make_engine(database_url)
    with ThreadPoolExecutor(1) as pool:
        with migration_lock(engine):  # another process is migrating
            upgraded = pool.submit(upgrade_to_head, database_url)
            deadline = time.monotonic() + 20
            while not waiting_for_the_migration_lock(database_url):
                assert time.monotonic() < deadline, "the upgrade never asked for the lock"
                time.sleep(0.05)
            assert not upgraded.done()
            assert revisions(database_url) == set()
        assert upgraded.result(timeout=60) is True
    engine.dispose()
    assert revisions(database_url) == {head_and_previous()[0]}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_upgrades_started_together_both_succeed_and_one_does_the_work(database_url):
    start = threading.Barrier(2)

    def upgrade() -> bool:
        start.wait(timeout=10)
        return upgrade_to_head(database_url)

    with ThreadPoolExecutor(2) as pool:
        results = [f.result(timeout=120) for f in [pool.submit(upgrade), pool.submit(upgrade)]]
    assert sorted(results) == [False, True]
    assert revisions(database_url) == {head_and_previous()[0]}
