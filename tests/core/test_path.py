"""Path statuses and the check-ins after a transition, on a controlled clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from core.checkin_schedule import DEFAULT_SCHEDULE, parse_schedule
from core.db import transaction
from core.models import (
    CheckIn,
    CheckInStatus,
    Coach,
    CoachNotice,
    Consent,
    NoticeKind,
    OutboxMessage,
    Youth,
)
from core.services.checkins import (
    KIND_AFTER,
    CheckInError,
    awaiting_needs,
    checkins_of,
    do_add,
    do_answer,
    do_keep_needs,
    do_pause,
    do_queue_due_checkins,
    do_resume,
    do_stop,
)
from core.services.export import export_youth_data
from core.services.path import PathError, do_record_status, history, load_paths, status_at
from core.services.youth import do_set_consent
from core.settings import Settings

HELSINKI = ZoneInfo("Europe/Helsinki")
# Monday 3 August 2026, 12:00 in Helsinki: the day a young person starts vocational school.
START = datetime(2026, 8, 3, 9, 0, tzinfo=UTC)


def _people(session) -> tuple[Coach, Youth]:
    coach = Coach(login="ville", display_name="Ville", password_hash="x", office_hours={})
    coach.telegram_chat_id = 555
    session.add(coach)
    session.flush()
    youth = Youth(telegram_user_id=900, chat_id=900, first_name="Aino", consent=Consent.GIVEN)
    youth.coach_id = coach.id
    session.add(youth)
    session.flush()
    return coach, youth


def _record(session, coach, youth, situation, *, since=START, now=START, place=None, field=None):
    return do_record_status(
        session,
        coach=coach,
        youth=youth,
        situation=situation,
        field=field,
        place=place,
        since=since,
        now=now,
        schedule=DEFAULT_SCHEDULE,
        tz=HELSINKI,
    )


def _local(moment: datetime) -> str:
    return moment.astimezone(HELSINKI).strftime("%d.%m.%Y %H:%M")


def _notices(session, kind: NoticeKind) -> int:
    return len(session.exec(select(CoachNotice).where(CoachNotice.kind == kind)).all())


def test_the_situations_file_names_the_nine_situations_and_what_counts_as_studies_or_work():
    paths = load_paths()
    assert [s.id for s in paths.situations] == [
        "comprehensive_school",
        "tuva",
        "vocational",
        "upper_secondary",
        "workshop",
        "apprenticeship",
        "work",
        "neet",
        "other",
    ]
    assert {s.id for s in paths.situations if s.studies_or_work} == {
        "vocational",
        "upper_secondary",
        "apprenticeship",
        "work",
    }
    assert "Restaurant and catering" in [f.label for f in paths.fields]


def test_the_history_keeps_every_status_and_status_at_reads_the_one_in_force(engine):
    with transaction(engine) as session:
        coach, youth = _people(session)
        earlier = START - timedelta(days=60)
        _record(session, coach, youth, "tuva", since=earlier, now=START)
        _record(session, coach, youth, "vocational", field="ict", place="Omnia")
        rows = history(session, youth.id)
        assert [(r.situation, r.transition) for r in rows] == [
            ("vocational", True),
            ("tuva", False),
        ]
        assert status_at(session, youth.id, earlier - timedelta(days=1)) is None
        assert status_at(session, youth.id, START - timedelta(days=1)).situation == "tuva"
        assert status_at(session, youth.id, START).situation == "vocational"


def test_a_transition_is_into_studies_or_work_or_to_another_school(engine):
    with transaction(engine) as session:
        coach, youth = _people(session)
        first = _record(session, coach, youth, "vocational", place="Omnia")
        same = _record(
            session, coach, youth, "vocational", place="Omnia", since=START + timedelta(1)
        )
        moved = _record(
            session, coach, youth, "vocational", place="Stadin AO", since=START + timedelta(2)
        )
        out = _record(session, coach, youth, "neet", since=START + timedelta(3))
        work = _record(session, coach, youth, "work", since=START + timedelta(4))
        assert [first.transition, same.transition, moved.transition] == [True, False, True]
        assert [out.transition, work.transition] == [False, True]


def test_an_unknown_situation_or_a_date_far_ahead_is_refused(engine):
    with transaction(engine) as session:
        coach, youth = _people(session)
        with pytest.raises(PathError):
            _record(session, coach, youth, "space_travel")
        with pytest.raises(PathError):
            _record(session, coach, youth, "work", since=START + timedelta(days=400))
        with pytest.raises(PathError):
            _record(session, coach, youth, "vocational", field="astrology")
        assert history(session, youth.id) == []


def test_check_ins_fall_due_2_weeks_and_1_2_3_6_and_12_months_after_the_transition(engine):
    with transaction(engine) as session:
        coach, youth = _people(session)
        _record(session, coach, youth, "vocational", place="Omnia")
        due = [_local(c.due_at) for c in checkins_of(session, youth.id)]
    assert due == [
        "17.08.2026 12:00",
        "03.09.2026 12:00",
        "03.10.2026 12:00",
        "03.11.2026 12:00",
        "03.02.2027 12:00",
        "03.08.2027 12:00",
    ]


def test_a_transition_recorded_late_skips_the_check_ins_gone_by(engine):
    with transaction(engine) as session:
        coach, youth = _people(session)
        _record(session, coach, youth, "work", since=START, now=START + timedelta(days=40))
        assert len(checkins_of(session, youth.id)) == 4  # 2 weeks and 1 month have gone by


def test_the_schedule_setting_reads_days_and_months():
    assert Settings(POLKU_CHECKIN_SCHEDULE="1m, 14d").checkin_offsets == ((14, "d"), (1, "m"))
    assert parse_schedule("14d,1m,2m,3m,6m,12m") == DEFAULT_SCHEDULE
    with pytest.raises(ValueError, match="14x"):
        parse_schedule("14x")


def test_a_check_in_due_at_night_is_asked_the_next_morning(engine):
    night = datetime(2026, 8, 3, 21, 30, tzinfo=UTC)  # 00:30 on 4 August in Helsinki
    with transaction(engine) as session:
        coach, youth = _people(session)
        _record(session, coach, youth, "work", since=night, now=night)
        first = checkins_of(session, youth.id)[0]
        assert _local(first.due_at) == "18.08.2026 08:00"
        # The job runs late at night anyway (a check-in added for today): the outbox waits.
        first.due_at = datetime(2026, 8, 16, 20, 0, tzinfo=UTC)  # 23:00 in Helsinki
        session.add(first)
        assert do_queue_due_checkins(session, now=first.due_at, tz=HELSINKI) == 1
        queued = session.exec(select(OutboxMessage)).one()
        assert queued.kind == KIND_AFTER
        assert _local(queued.due_at) == "17.08.2026 08:00"


def test_each_due_check_in_is_queued_once(engine):
    with transaction(engine) as session:
        coach, youth = _people(session)
        _record(session, coach, youth, "work")
        at = START + timedelta(days=14, hours=1)
        assert do_queue_due_checkins(session, now=at, tz=HELSINKI) == 1
        assert do_queue_due_checkins(session, now=at, tz=HELSINKI) == 0
        assert [c.status for c in checkins_of(session, youth.id)][:2] == ["sent", "scheduled"]


def test_a_stop_ends_every_check_in_still_waiting(engine):
    with transaction(engine) as session:
        coach, youth = _people(session)
        _record(session, coach, youth, "work")
        assert do_stop(session, coach=coach, youth=youth) == 6
        later = START + timedelta(days=400)
        assert do_queue_due_checkins(session, now=later, tz=HELSINKI) == 0
        assert {c.status for c in checkins_of(session, youth.id)} == {CheckInStatus.STOPPED}


def test_pause_holds_everything_and_resume_asks_only_the_latest_missed(engine):
    with transaction(engine) as session:
        coach, youth = _people(session)
        _record(session, coach, youth, "work")
        do_pause(session, coach=coach, youth=youth, now=START)
        assert do_queue_due_checkins(session, now=START + timedelta(days=70), tz=HELSINKI) == 0
        do_resume(session, coach=coach, youth=youth, now=START + timedelta(days=70))
        statuses = [c.status for c in checkins_of(session, youth.id)]
        assert statuses == [
            "stopped",
            "stopped",
            "scheduled",
            "scheduled",
            "scheduled",
            "scheduled",
        ]
        assert do_queue_due_checkins(session, now=START + timedelta(days=70), tz=HELSINKI) == 1


def test_a_coach_adds_a_check_in_only_after_a_transition(engine):
    with transaction(engine) as session:
        coach, youth = _people(session)
        with pytest.raises(CheckInError):
            do_add(session, coach=coach, youth=youth, due_at=START, now=START, tz=HELSINKI)
        _record(session, coach, youth, "apprenticeship")
        added = do_add(
            session,
            coach=coach,
            youth=youth,
            due_at=START + timedelta(days=5),
            now=START,
            tz=HELSINKI,
        )
        assert added in checkins_of(session, youth.id)


def test_two_check_ins_in_a_row_without_an_answer_tell_the_coach_once(engine):
    with transaction(engine) as session:
        coach, youth = _people(session)
        _record(session, coach, youth, "vocational")
        first_due = START + timedelta(days=14)
        do_queue_due_checkins(session, now=first_due, tz=HELSINKI)
        # A week goes by: the first is unanswered, the coach is not told yet.
        do_queue_due_checkins(session, now=first_due + timedelta(days=7, minutes=1), tz=HELSINKI)
        assert _notices(session, NoticeKind.CHECKIN_SILENT) == 0
        second_due = datetime(2026, 9, 3, 9, 0, tzinfo=UTC)
        do_queue_due_checkins(session, now=second_due, tz=HELSINKI)
        # The third falls due with the second still unanswered: the second missing answer.
        third_due = datetime(2026, 10, 3, 9, 0, tzinfo=UTC)
        do_queue_due_checkins(session, now=third_due, tz=HELSINKI)
        do_queue_due_checkins(session, now=third_due + timedelta(minutes=1), tz=HELSINKI)
        statuses = [c.status for c in checkins_of(session, youth.id)][:3]
        assert statuses == ["unanswered", "unanswered", "sent"]
        assert _notices(session, NoticeKind.CHECKIN_SILENT) == 1


def test_not_going_well_and_i_left_tell_the_coach_and_every_answer_is_kept(engine):
    with transaction(engine) as session:
        coach, youth = _people(session)
        _record(session, coach, youth, "vocational")
        at = START + timedelta(days=14)
        do_queue_due_checkins(session, now=at, tz=HELSINKI)
        checkin = checkins_of(session, youth.id)[0]
        cid = checkin.id

        def answer(step, value):
            return do_answer(session, youth=youth, checkin_id=cid, step=step, value=value, now=at)

        assert answer("mood", "2").told_coach
        assert not answer("mood", "1").told_coach  # already told for this check-in
        assert answer("there", "no").told_coach
        assert awaiting_needs(session, youth=youth, now=at) == checkin
        do_keep_needs(session, checkin=checkin, text="  a cheaper bus ticket ")
        assert answer("coach", "yes") is not None
        assert answer("mood", "9") is None
        assert answer("coach", "perhaps") is None
        row = session.get(CheckIn, cid)
        assert (row.status, row.mood, row.still_there, row.needs, row.wants_coach) == (
            "answered",
            1,
            False,
            "a cheaper bus ticket",
            True,
        )
        assert _notices(session, NoticeKind.CHECKIN_LOW) == 1
        assert _notices(session, NoticeKind.CHECKIN_LEFT) == 1


def test_a_button_of_a_stopped_or_someone_elses_check_in_is_not_taken(engine):
    with transaction(engine) as session:
        coach, youth = _people(session)
        other = Youth(telegram_user_id=901, chat_id=901, consent=Consent.GIVEN)
        session.add(other)
        session.flush()
        _record(session, coach, youth, "work")
        first = checkins_of(session, youth.id)[0]
        assert (
            do_answer(session, youth=youth, checkin_id=first.id, step="mood", value="4", now=START)
            is None
        )
        do_queue_due_checkins(session, now=START + timedelta(days=14), tz=HELSINKI)
        assert (
            do_answer(session, youth=other, checkin_id=first.id, step="mood", value="4", now=START)
            is None
        )


def test_the_young_persons_data_has_their_path_and_answers_and_withdrawing_clears_answers(engine):
    with transaction(engine) as session:
        coach, youth = _people(session)
        _record(session, coach, youth, "work", place="Kahvila")
        at = START + timedelta(days=14)
        do_queue_due_checkins(session, now=at, tz=HELSINKI)
        cid = checkins_of(session, youth.id)[0].id
        do_answer(session, youth=youth, checkin_id=cid, step="mood", value="4", now=at)
        data = export_youth_data(session, youth=youth)
        assert data["path"][0]["situation"] == "work" and data["path"][0]["place"] == "Kahvila"
        assert data["check_ins"][0]["mood"] == 4
        do_set_consent(session, youth=youth, given=False)
        session.expire_all()
        assert session.get(CheckIn, cid).mood is None
        assert history(session, youth.id) != []  # the coach's records stay


def test_an_earlier_stage_filled_in_afterwards_leaves_the_check_ins_alone(engine):
    with transaction(engine) as session:
        coach, youth = _people(session)
        _record(session, coach, youth, "vocational", place="Omnia")
        _record(session, coach, youth, "tuva", since=START - timedelta(days=300), now=START)
        assert [c.status for c in checkins_of(session, youth.id)] == ["scheduled"] * 6
        assert [s.situation for s in history(session, youth.id)] == ["vocational", "tuva"]
        assert status_at(session, youth.id, START).situation == "vocational"
