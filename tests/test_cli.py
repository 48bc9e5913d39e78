"""The `polku` command: coach accounts and invites."""

from __future__ import annotations

import io

import pytest
from sqlmodel import Session, select

from core.models import AuditEvent, Coach, InviteCode
from core.services.coaches import check_password
from core.settings import get_settings
from polku import cli


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
