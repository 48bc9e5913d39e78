"""`polku report`: the impact report's tables on the command line and its CSV, with small
groups hidden, progress on stderr and the export in the audit trail."""

from __future__ import annotations

import csv

import pytest
from sqlmodel import Session, select

from core.models import AuditEvent
from core.services.report import HIDDEN
from core.settings import get_settings
from polku import cli
from tests.report_data import seed


@pytest.fixture
def polku_env(monkeypatch, database_url, engine, tmp_path):
    """The CLI on the test database with the hand-computed dataset, in an empty folder."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "")
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    seed(engine)
    yield engine
    get_settings.cache_clear()


def test_report_prints_the_tables_and_writes_the_csv(polku_env, capsys, tmp_path):
    code = cli.main(["report", "--from", "2025-01-01", "--to", "2026-06-01", "--csv", "r.csv"])
    assert code == 0
    out, err = capsys.readouterr()
    assert "WHO-5" in out and "coach response time" in out
    assert "report: path status" in err  # progress on stderr, not in the tables
    assert "Secretname" not in out
    with open(tmp_path / "r.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    who5 = {r["measure"]: r["value"] for r in rows if r["section"] == "WHO-5"}
    assert who5["young people"] == "9" and who5["median first"] != HIDDEN
    with Session(polku_env) as session:
        [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "report.export"))
    assert event.actor == "system" and "from=2025-01-01" in (event.detail or "")


def test_report_hides_small_groups(polku_env, capsys, tmp_path):
    code = cli.main(["report", "--coach", "few", "--csv", "few.csv"])
    assert code == 0
    out = capsys.readouterr().out
    assert HIDDEN in out
    with open(tmp_path / "few.csv", encoding="utf-8") as f:
        values = {r["value"] for r in csv.DictReader(f)}
    assert values <= {HIDDEN, "0"}


def test_report_without_csv_writes_nothing_and_audits_nothing(polku_env, capsys, tmp_path):
    assert cli.main(["report", "--group", "Project A"]) == 0
    assert "young people" in capsys.readouterr().out
    assert not list(tmp_path.glob("*.csv"))
    with Session(polku_env) as session:
        assert session.exec(select(AuditEvent)).all() == []
