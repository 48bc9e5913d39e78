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
