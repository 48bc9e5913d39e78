"""The impact report's figures on a small hand-computed dataset (tests/report_data.py)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from core.db import transaction
from core.models import Assessment, CheckIn, Coach, PathStatus, Youth
from core.services.report import (
    HIDDEN,
    LEFT,
    MIN_GROUP,
    Filters,
    build_report,
    cached_report,
    hidden,
    median,
    percentile90,
    report_rows,
)
from core.services.talk import do_coach_reply, do_open_talk
from tests.report_data import DAY, MINUTE, NOW, seed


@pytest.fixture
def seeded(engine):
    return seed(engine)


def report_for(engine, coach, **filters):
    with Session(engine) as session:
        return build_report(session, viewer=coach, filters=Filters(**filters), now=NOW)


def test_the_anonymity_rule_is_seven_young_people():
    assert MIN_GROUP == 7
    assert hidden(6) and hidden(0)
    assert not hidden(7)


def test_median_and_90th_percentile_from_a_histogram():
    assert median([(1, 1), (3, 1), (2, 1)]) == 2
    assert median([(1, 2), (5, 2)]) == 3  # even count: the middle two averaged
    assert median([]) == 0
    assert percentile90([(m, 1) for m in range(1, 11)]) == 9
    assert percentile90([(5, 9), (100, 1)]) == 5


def test_distance_travelled_per_area_first_versus_latest_run(engine, seeded):
    report = report_for(engine, seeded.own)
    [housing] = report.areas
    assert (housing.dialogue_id, housing.area) == ("life_areas", "Housing")
    change = housing.change
    assert change.people == 7  # the one with a single run is left out
    assert change.median_change == 0
    assert (change.improved, change.same, change.worse) == pytest.approx((3 / 7, 3 / 7, 1 / 7))
    assert not change.hidden


def test_who5_first_versus_latest(engine, seeded):
    who5 = report_for(engine, seeded.own).who5
    assert who5.people == 7
    assert (who5.median_first, who5.median_latest) == (52, 56)
    assert (who5.improved, who5.same, who5.worse) == pytest.approx((3 / 7, 3 / 7, 1 / 7))


def test_path_status_at_start_now_and_after_leaving_coaching(engine, seeded):
    report = report_for(engine, seeded.own)
    columns = {c.moment: c for c in report.statuses}
    assert columns["start"].counts == {"neet": 8}
    for moment in ("now", "weeks4", "months6"):
        assert columns[moment].counts == {"vocational": 7, "work": 1}
    assert report.situations == ["neet", "vocational", "work"]
    rows = report_rows(report)
    assert ("path status", "now", "vocational", "7") in rows
    assert ("path status", "now", "work", HIDDEN) in rows  # one young person: hidden


def test_six_months_after_leaving_waits_until_it_has_come(engine, seeded):
    report = report_for(engine, seeded.own, end=NOW - 100 * DAY)
    columns = {c.moment: c for c in report.statuses}
    assert columns["weeks4"].people == 8
    assert columns["months6"].people == 0 and columns["months6"].hidden


def test_appointments_by_kind(engine, seeded):
    rows = {r.kind: r for r in report_for(engine, seeded.own).appointments}
    meeting = rows["meeting"]
    assert (meeting.appointments, meeting.people) == (10, 7)  # the future one is not counted
    assert (meeting.attended, meeting.cancelled_in_time, meeting.not_attended) == (0.5, 0.2, 0.2)
    assert rows["trial_day"].people == 3 and rows["trial_day"].hidden
    assert rows["introduction"].appointments == 0


def test_coach_response_time_to_waiting_young_people(engine, seeded):
    response = report_for(engine, seeded.own).response
    assert (response.waits, response.people) == (8, 7)
    assert (response.median_minutes, response.p90_minutes) == (35, 120)
    assert (response.contact_people, response.contacts) == (7, 25)


def test_period_filter(engine, seeded):
    response = report_for(engine, seeded.own, start=NOW - 12 * DAY, end=NOW).response
    assert response.people == 3  # only the last three waits' young people
    assert response.hidden


def test_a_coach_sees_only_their_own_and_small_groups_are_hidden(engine, seeded):
    report = report_for(engine, seeded.few)
    assert report.who5.people == 2 and report.who5.hidden
    assert report.response.people == 2 and report.response.hidden
    assert report.areas == []
    values = {value for *_, value in report_rows(report)}
    assert values <= {HIDDEN, "0"}  # nothing about two young people is shown


def test_an_admin_sees_everyone_or_one_coach_or_one_group(engine, seeded):
    everyone = report_for(engine, seeded.admin)
    assert everyone.who5.people == 9
    assert everyone.response.people == 9
    assert report_for(engine, seeded.admin, coach_id=seeded.own.id).who5.people == 7
    assert report_for(engine, seeded.admin, group="Project A").who5.people == 9
    assert report_for(engine, seeded.admin, group="Elsewhere").who5.people == 0


def test_the_rows_carry_no_names_or_ids(engine, seeded):
    text = repr(report_rows(report_for(engine, seeded.admin)))
    assert "Secretname" not in text
    assert "WHO-5" in text and "coach response time" in text


def test_figures_are_kept_ten_minutes_then_computed_again(engine, seeded):
    with Session(engine) as session:
        first, at = cached_report(session, viewer=seeded.own, filters=Filters(), now=NOW)
        session.add(
            Assessment(
                youth_id=seeded.own_youth[7],
                dialogue_id="who5",
                dialogue_version=1,
                status="finished",
                score=100,
                finished_at=NOW,
            )
        )
        session.commit()
        again, again_at = cached_report(
            session, viewer=seeded.own, filters=Filters(), now=NOW + 9 * MINUTE
        )
        assert (again, again_at) == (first, at) and again.who5.people == 7
        fresh, fresh_at = cached_report(
            session, viewer=seeded.own, filters=Filters(), now=NOW + 10 * MINUTE
        )
        assert fresh.who5.people == 8 and fresh_at == NOW + 10 * MINUTE


def test_a_coach_reply_records_how_long_the_young_person_waited(engine, seeded):
    with transaction(engine) as session:
        youth = session.get(Youth, seeded.own_youth[7])
        coach = session.get(Coach, seeded.own.id)
        do_open_talk(session, youth=youth, now=NOW)
        youth.waiting_since = NOW
        reply = do_coach_reply(
            session, coach=coach, youth=youth, text="Hei!", now=NOW + 25 * MINUTE
        )
        assert reply.waited_seconds == 25 * 60
        again = do_coach_reply(session, coach=coach, youth=youth, text="Ja…", now=NOW + 26 * MINUTE)
        assert again.waited_seconds is None  # nobody was waiting any more
        written = reply.created_at  # the clock's own time, as a message's
    response = report_for(engine, seeded.own, start=written - MINUTE).response
    assert (response.waits, response.median_minutes) == (1, 25)


def test_a_check_in_answered_i_left_counts_until_the_next_status(engine, seeded):
    with transaction(engine) as session:
        youth_id = seeded.own_youth[1]
        status = session.exec(
            select(PathStatus).where(
                PathStatus.youth_id == youth_id, PathStatus.situation == "vocational"
            )
        ).one()
        session.add(
            CheckIn(
                youth_id=youth_id,
                path_status_id=status.id,
                due_at=NOW - 150 * DAY,
                status="answered",
                answered_at=NOW - 150 * DAY,
                still_there=False,
            )
        )
    columns = {c.moment: c.counts for c in report_for(engine, seeded.own).statuses}
    assert columns["weeks4"] == {"vocational": 7, "work": 1}  # before the check-in
    assert columns["months6"] == {"vocational": 6, "work": 1, LEFT: 1}
    assert columns["now"] == {"vocational": 6, "work": 1, LEFT: 1}
