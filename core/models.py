"""Tables. Times are stored in UTC and always come back timezone-aware."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Now, as an aware UTC datetime (the only kind Polku stores)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is UTC in the database and aware in Python, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: give a timezone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _optional_when() -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


def _now_column(*, index: bool = False) -> Any:
    return Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=index)
    )


def _fk(target: str, *, ondelete: str, nullable: bool = True, index: bool = True) -> Any:
    return Field(
        default=None,
        sa_column=Column(ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index),
    )


class Role(StrEnum):
    COACH = "coach"
    ADMIN = "admin"


class Consent(StrEnum):
    PENDING = "pending"
    GIVEN = "given"
    DECLINED = "declined"


class YouthStatus(StrEnum):
    ACTIVE = "active"
    UNREACHABLE = "unreachable"


class Direction(StrEnum):
    YOUTH = "youth"
    BOT = "bot"
    COACH = "coach"


class MediaKind(StrEnum):
    TEXT = "text"
    PHOTO = "photo"
    VOICE = "voice"
    AUDIO = "audio"
    VIDEO = "video"
    VIDEO_NOTE = "video_note"
    STICKER = "sticker"
    DOCUMENT = "document"
    LOCATION = "location"
    CONTACT = "contact"
    OTHER = "other"


class Delivery(StrEnum):
    RECEIVED = "received"
    PENDING = "pending"  # a coach's reply waiting in the outbox
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"


class Coach(SQLModel, table=True):
    """A named, responsible worker; young people see `display_name`."""

    __table_args__ = (Index("ix_coach_telegram_chat_id", "telegram_chat_id", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    display_name: str = Field(sa_column=Column(String(100), nullable=False))
    password_hash: str = Field(sa_column=Column(String(255), nullable=False))
    role: str = Field(default=Role.COACH, sa_column=Column(String(16), nullable=False))
    office_hours: dict[str, Any] = Field(
        default_factory=lambda: {"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "16:00"},
        sa_column=Column(JSON, nullable=False),
    )
    active: bool = True
    created_at: datetime = _now_column()
    # The coach's own Telegram chat, linked from the panel, where Polku sends them notices.
    telegram_chat_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    notify_telegram: bool = True  # notices to the linked chat (off: linked but silent)
    email: str | None = Field(default=None, sa_column=Column(String(254)))  # for notices
    notify_email: bool = True  # notices by e-mail too, when an address is set
    # Local "HH:MM" times between which notices wait (urgent ones not, for a coach on call).
    quiet_from: str | None = Field(default=None, sa_column=Column(String(5)))
    quiet_until: str | None = Field(default=None, sa_column=Column(String(5)))
    on_call: bool = False  # set by an admin: in the first ring of every urgent alert
    # Two-step sign-in (core.services.two_step): the authenticator app's shared secret, kept
    # readable because every code is checked against it; on once `totp_enabled_at` is set
    # (a secret without it is an enrolment not yet confirmed). `totp_last_step` is the
    # 30-second step of the last code accepted, so no code works twice.
    totp_secret: str | None = Field(default=None, sa_column=Column(String(64)), repr=False)
    totp_enabled_at: datetime | None = _optional_when()
    totp_last_step: int | None = Field(default=None, sa_column=Column(BigInteger))


class Youth(SQLModel, table=True):
    """A young person who opened the bot. Erasure deletes the row and everything under it."""

    id: int | None = Field(default=None, primary_key=True)
    telegram_user_id: int = Field(sa_column=Column(BigInteger, unique=True, nullable=False))
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    first_name: str | None = Field(default=None, sa_column=Column(String(128)))
    language: str | None = Field(default=None, sa_column=Column(String(8)))
    consent: str = Field(default=Consent.PENDING, sa_column=Column(String(16), nullable=False))
    consent_at: datetime | None = _optional_when()
    coach_id: int | None = _fk("coach.id", ondelete="SET NULL")
    status: str = Field(default=YouthStatus.ACTIVE, sa_column=Column(String(16), nullable=False))
    created_at: datetime = _now_column()
    last_seen_at: datetime = _now_column()
    # The conversation with a coach, kept on the row so the inbox needs no scan of messages.
    talk_opened_at: datetime | None = _optional_when()  # the handover is open since then
    waiting_since: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True, index=True)
    )  # oldest message still waiting for a coach's answer
    unread: int = 0  # messages to the coach not yet opened in the panel
    last_message_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True, index=True)
    )
    away_reply_on: str | None = Field(default=None, sa_column=Column(String(10)))  # local date
    # Recorded by a coach (None: not known): an abuse alert about a minor reminds of the
    # child-welfare notification duty.
    under_18: bool | None = None
    # The organisation's grouping for reports (a project, a school); set by a coach.
    group_name: str | None = Field(default=None, sa_column=Column(String(100), index=True))


class Message(SQLModel, table=True):
    """One message in a young person's chat, in either direction."""

    __table_args__ = (
        Index("ix_message_youth_created", "youth_id", "created_at"),
        Index("ix_message_youth_id", "youth_id", "id"),  # a conversation's pages, newest first
    )

    id: int | None = Field(default=None, primary_key=True)
    youth_id: int = _fk("youth.id", ondelete="CASCADE", nullable=False, index=False)
    direction: str = Field(sa_column=Column(String(8), nullable=False))
    text: str | None = Field(default=None, sa_column=Column(Text))
    media_kind: str = Field(default=MediaKind.TEXT, sa_column=Column(String(16), nullable=False))
    file_id: str | None = Field(default=None, sa_column=Column(String(255)))
    telegram_message_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    delivery_status: str = Field(sa_column=Column(String(16), nullable=False))
    coach_id: int | None = _fk("coach.id", ondelete="SET NULL", index=False)
    created_at: datetime = _now_column()
    # A coach's message that answered a waiting young person: how long they had waited
    # (seconds since `Youth.waiting_since`), for the impact report's response time.
    waited_seconds: int | None = None


class PanelSession(SQLModel, table=True):
    """A coach's signed-in browser. Only the token's SHA-256 is stored, never the token."""

    __tablename__ = "panel_session"

    token_hash: str = Field(sa_column=Column(String(64), primary_key=True))
    coach_id: int = _fk("coach.id", ondelete="CASCADE", nullable=False)
    csrf_token: str = Field(sa_column=Column(String(64), nullable=False))
    created_at: datetime = _now_column()
    last_seen_at: datetime = _now_column()


class PendingSignIn(SQLModel, table=True):
    """A sign-in halfway: the password was right and the coach's code is asked next. The
    browser holds a random token, the database its SHA-256; it lasts a few minutes."""

    __tablename__ = "pending_sign_in"

    token_hash: str = Field(sa_column=Column(String(64), primary_key=True))
    coach_id: int = _fk("coach.id", ondelete="CASCADE", nullable=False)
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


class SignInCounter(SQLModel, table=True):
    """Sign-in tries counted per client address (`kind` "address", `login` empty) and per
    login and address (`kind` "login"), reserved atomically before each check
    (core.services.sign_in_limits). Forgotten at `expires_at`; expired rows are deleted."""

    __tablename__ = "sign_in_counter"

    kind: str = Field(sa_column=Column(String(8), primary_key=True))
    login: str = Field(sa_column=Column(String(64), primary_key=True))
    address: str = Field(sa_column=Column(String(64), primary_key=True))
    tries: int = 0
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


class RecoveryCode(SQLModel, table=True):
    """A one-time recovery code for two-step sign-in, stored as its SHA-256 (the codes are
    random and long, so a fast hash is enough); deleted when used."""

    __tablename__ = "recovery_code"

    code_hash: str = Field(sa_column=Column(String(64), primary_key=True))
    coach_id: int = _fk("coach.id", ondelete="CASCADE", nullable=False)


class PanelSetting(SQLModel, table=True):
    """An organisation-wide panel setting an admin changes in the panel (name → value)."""

    __tablename__ = "panel_setting"

    name: str = Field(sa_column=Column(String(64), primary_key=True))
    value: str = Field(sa_column=Column(String(200), nullable=False))


class InviteCode(SQLModel, table=True):
    """A one-time deep-link code that ties a new young person to the coach who made it."""

    code: str = Field(sa_column=Column(String(64), primary_key=True))
    coach_id: int = _fk("coach.id", ondelete="CASCADE", nullable=False)
    created_at: datetime = _now_column()
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    used_by_youth_id: int | None = _fk("youth.id", ondelete="SET NULL")
    used_at: datetime | None = _optional_when()


class AuditEvent(SQLModel, table=True):
    """Who did what, when. Events about a young person go with them when they erase their data."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _now_column(index=True)
    actor: str = Field(sa_column=Column(String(16), nullable=False))
    coach_id: int | None = _fk("coach.id", ondelete="SET NULL")
    youth_id: int | None = _fk("youth.id", ondelete="CASCADE")
    action: str = Field(sa_column=Column(String(64), nullable=False))
    detail: str | None = Field(default=None, sa_column=Column(Text))


class AssessmentStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    FINISHED = "finished"
    ABANDONED = "abandoned"


class Assessment(SQLModel, table=True):
    """One run of a self-assessment dialogue; `state` is the engine's state after every answer."""

    __table_args__ = (Index("ix_assessment_youth_dialogue", "youth_id", "dialogue_id"),)

    id: int | None = Field(default=None, primary_key=True)
    youth_id: int = _fk("youth.id", ondelete="CASCADE", nullable=False, index=False)
    dialogue_id: str = Field(sa_column=Column(String(32), nullable=False))
    dialogue_version: int
    status: str = Field(
        default=AssessmentStatus.IN_PROGRESS, sa_column=Column(String(16), nullable=False)
    )
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    score: float | None = None
    started_at: datetime = _now_column()
    updated_at: datetime = _now_column()
    finished_at: datetime | None = _optional_when()
    nudged_at: datetime | None = _optional_when()


class AssessmentAnswer(SQLModel, table=True):
    """One answer, kept with the dialogue's id and version and the question's area, so old
    answers stay readable when a dialogue file changes."""

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = _fk("assessment.id", ondelete="CASCADE", nullable=False)
    youth_id: int = _fk("youth.id", ondelete="CASCADE", nullable=False)
    dialogue_id: str = Field(sa_column=Column(String(32), nullable=False))
    dialogue_version: int
    question_id: str = Field(sa_column=Column(String(32), nullable=False))
    area: str = Field(sa_column=Column(String(100), nullable=False))
    value: int | None = None
    choices: list[str] | None = Field(default=None, sa_column=Column(JSON))
    skipped: bool = False
    answered_at: datetime = _now_column()


class AppointmentKind(StrEnum):
    MEETING = "meeting"  # with the coach
    TRIAL_DAY = "trial_day"
    INTRODUCTION = "introduction"
    OTHER = "other"


class AppointmentStatus(StrEnum):
    SCHEDULED = "scheduled"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    MISSED = "missed"


class Appointment(SQLModel, table=True):
    """A meeting, trial day or introduction. `version` grows on every move or cancel, so
    buttons on older messages about it can tell they are out of date."""

    id: int | None = Field(default=None, primary_key=True)
    youth_id: int = _fk("youth.id", ondelete="CASCADE", nullable=False)
    coach_id: int | None = _fk("coach.id", ondelete="SET NULL")
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    title: str = Field(sa_column=Column(String(200), nullable=False))
    starts_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    duration_minutes: int = 60
    place: str | None = Field(default=None, sa_column=Column(String(300)))
    latitude: float | None = None
    longitude: float | None = None
    bring: str | None = Field(default=None, sa_column=Column(String(300)))
    notes: str | None = Field(default=None, sa_column=Column(Text))
    status: str = Field(
        default=AppointmentStatus.SCHEDULED, sa_column=Column(String(16), nullable=False)
    )
    version: int = 1
    created_at: datetime = _now_column()
    updated_at: datetime = _now_column()


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a dispatcher; reclaimed if it dies before finishing
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # its moment passed while Polku was down
    CANCELLED = "cancelled"


class OutboxMessage(SQLModel, table=True):
    """A message to send later (a reminder) or outside a reply (a coach's answer, an alert).

    Written in the same transaction as the change that causes it; the dispatcher claims due
    rows, renders them in the young person's language at sending time and records the result.
    `not_after`: a message that only Polku's downtime or failures kept until then is skipped.
    `give_up_at`: a transient failure (5xx, time-out) is retried until then, then it fails;
    set when the row is queued (`core.services.outbox.give_up_time`).
    """

    __table_args__ = (Index("ix_outbox_due", "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    youth_id: int = _fk("youth.id", ondelete="CASCADE", nullable=False)
    appointment_id: int | None = _fk("appointment.id", ondelete="CASCADE")
    kind: str = Field(sa_column=Column(String(24), nullable=False))
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    not_after: datetime | None = _optional_when()
    give_up_at: datetime | None = _optional_when()  # None only on rows queued before the rule
    status: str = Field(default=OutboxStatus.PENDING, sa_column=Column(String(16), nullable=False))
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(String(200)))
    claimed_at: datetime | None = _optional_when()
    sent_at: datetime | None = _optional_when()
    telegram_message_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    created_at: datetime = _now_column()


class TelegramLinkCode(SQLModel, table=True):
    """A one-time code in a t.me deep link that ties a coach's own Telegram chat to them.

    Only its SHA-256 is kept: a code read from the database cannot be used."""

    code_hash: str = Field(sa_column=Column(String(64), primary_key=True))
    coach_id: int = _fk("coach.id", ondelete="CASCADE", nullable=False)
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class NoticeKind(StrEnum):
    URGENT = "urgent"  # an urgent alert was raised to this coach
    WAITING = "waiting"  # their young person waits for an answer
    CANT_COME = "cant_come"  # a young person cannot come to an appointment
    NEW_TIME = "new_time"  # … and would like a new time
    UNREACHABLE = "unreachable"  # a young person blocked the bot
    CHECKIN_LOW = "checkin_low"  # a check-in after a transition: not going well
    CHECKIN_LEFT = "checkin_left"  # … they left their studies or work
    CHECKIN_SILENT = "checkin_silent"  # … two check-ins in a row without an answer


class NoticeChannel(StrEnum):
    TELEGRAM = "telegram"  # the coach's own linked chat
    EMAIL = "email"


class CoachNotice(SQLModel, table=True):
    """A notice to a coach's own Telegram chat, sent by the notice job (bot/notices.py).

    Written in the same transaction as what it tells of. It carries no message text: the
    young person's first name, what happened and a link to the panel page."""

    __table_args__ = (Index("ix_coachnotice_due", "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    coach_id: int = _fk("coach.id", ondelete="CASCADE", nullable=False)
    youth_id: int | None = _fk("youth.id", ondelete="CASCADE")
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    channel: str = Field(
        default=NoticeChannel.TELEGRAM, sa_column=Column(String(8), nullable=False)
    )
    status: str = Field(default=OutboxStatus.PENDING, sa_column=Column(String(16), nullable=False))
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    give_up_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(String(200)))
    claimed_at: datetime | None = _optional_when()
    sent_at: datetime | None = _optional_when()
    # The notice's message in the coach's chat: a reply to it answers that young person.
    telegram_message_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    created_at: datetime = _now_column()


class PortfolioEntry(SQLModel, table=True):
    """What a young person did at a trial day or introduction, in their own words and rating;
    the coach can confirm it. A draft until the follow-up's last question is answered."""

    id: int | None = Field(default=None, primary_key=True)
    youth_id: int = _fk("youth.id", ondelete="CASCADE", nullable=False)
    appointment_id: int | None = _fk("appointment.id", ondelete="SET NULL")
    happened_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    place: str | None = Field(default=None, sa_column=Column(String(300)))
    field: str = Field(sa_column=Column(String(200), nullable=False))
    rating: int | None = None
    activities: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    words: str | None = Field(default=None, sa_column=Column(Text))
    wants_to_continue: str | None = Field(default=None, sa_column=Column(String(8)))
    saved: bool = False
    confirmed_by_coach_id: int | None = _fk("coach.id", ondelete="SET NULL", index=False)
    confirmed_at: datetime | None = _optional_when()
    created_at: datetime = _now_column()


class CoachNote(SQLModel, table=True):
    """A coach's note about a young person, for coaches only. It is personal data about the
    young person, so it goes with their /mydata and /delete."""

    __tablename__ = "coach_note"

    id: int | None = Field(default=None, primary_key=True)
    youth_id: int = _fk("youth.id", ondelete="CASCADE", nullable=False)
    coach_id: int | None = _fk("coach.id", ondelete="SET NULL", index=False)
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _now_column()


class SavedReply(SQLModel, table=True):
    """A reply a coach keeps for answers they write again and again: their own, or shared
    with every coach."""

    __tablename__ = "saved_reply"

    id: int | None = Field(default=None, primary_key=True)
    coach_id: int = _fk("coach.id", ondelete="CASCADE", nullable=False)
    title: str = Field(sa_column=Column(String(80), nullable=False))
    text: str = Field(sa_column=Column(Text, nullable=False))
    shared: bool = False
    created_at: datetime = _now_column()


class PathStatus(SQLModel, table=True):
    """Where a young person is on their path from a date on (comprehensive school, TUVA,
    vocational studies, workshop, work …), recorded by a coach; the rows are the history. A
    change into studies or work is a transition, which schedules check-ins."""

    __tablename__ = "path_status"
    # A young person's history, and the status at a moment (the impact report), by index.
    __table_args__ = (Index("ix_path_status_youth_since", "youth_id", "since"),)

    id: int | None = Field(default=None, primary_key=True)
    youth_id: int = _fk("youth.id", ondelete="CASCADE", nullable=False)
    situation: str = Field(sa_column=Column(String(32), nullable=False))  # paths/situations.yaml
    field: str | None = Field(default=None, sa_column=Column(String(100)))  # e.g. a study field
    place: str | None = Field(default=None, sa_column=Column(String(200)))  # school, workshop
    since: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))  # the change's date
    transition: bool = False  # a move into studies or work
    coach_id: int | None = _fk("coach.id", ondelete="SET NULL", index=False)
    created_at: datetime = _now_column()


class CheckInStatus(StrEnum):
    SCHEDULED = "scheduled"
    SENT = "sent"  # asked; waiting for the young person
    ANSWERED = "answered"
    UNANSWERED = "unanswered"  # no answer before the next one was due (or a week passed)
    PAUSED = "paused"
    STOPPED = "stopped"


class CheckIn(SQLModel, table=True):
    """A follow-up question after a transition ("how are the studies going?"), sent through
    the outbox when due; the answers reach the coach's page."""

    __tablename__ = "check_in"
    __table_args__ = (Index("ix_check_in_youth_due", "youth_id", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    youth_id: int = _fk("youth.id", ondelete="CASCADE", nullable=False)
    path_status_id: int = _fk("path_status.id", ondelete="CASCADE", nullable=False)
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    status: str = Field(
        default=CheckInStatus.SCHEDULED, sa_column=Column(String(16), nullable=False)
    )
    sent_at: datetime | None = _optional_when()
    answered_at: datetime | None = _optional_when()
    mood: int | None = None  # 1–5 faces: how are the studies going
    still_there: bool | None = None
    needs: str | None = Field(default=None, sa_column=Column(Text))  # in their own words
    wants_coach: bool | None = None
    created_at: datetime = _now_column()


class AlertKind(StrEnum):
    CRISIS_WORDS = "crisis_words"  # crisis wording in a message
    LOW_WELLBEING = "low_wellbeing"  # WHO-5 score ≤ 28
    ABUSE = "abuse"  # someone hurting or coercing the young person


class Alert(SQLModel, table=True):
    """An urgent call for a human: open until a coach marks it handled; the bot keeps answering
    the young person with the crisis resources until a coach has replied (`answered_at`).

    `text` is the triggering message itself, kept even without consent to keep messages: the
    coach must see what was said, and /delete erases it with the young person.
    """

    id: int | None = Field(default=None, primary_key=True)
    youth_id: int = _fk("youth.id", ondelete="CASCADE", nullable=False)
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    text: str | None = Field(default=None, sa_column=Column(Text))
    detail: str | None = Field(default=None, sa_column=Column(String(200)))
    safe_answer: str | None = Field(default=None, sa_column=Column(String(8)))
    created_at: datetime = _now_column(index=True)
    answered_at: datetime | None = _optional_when()
    handled_at: datetime | None = _optional_when()
    handled_by_coach_id: int | None = _fk("coach.id", ondelete="SET NULL", index=False)
    opened_at: datetime | None = _optional_when()  # a coach it reached opened the chat
    ring: int = 1  # how far it has gone: 1 own coach and on call, 2 at work, 3 admins
    ring_at: datetime | None = _optional_when()  # when it reached that ring


class AlertRecipient(SQLModel, table=True):
    """Which coaches an alert reached, ring by ring (core.services.alerts): they may open the
    young person's chat until the alert is handled."""

    alert_id: int = Field(
        sa_column=Column(ForeignKey("alert.id", ondelete="CASCADE"), primary_key=True)
    )
    coach_id: int = Field(
        sa_column=Column(ForeignKey("coach.id", ondelete="CASCADE"), primary_key=True, index=True)
    )
    ring: int = 1  # the ring that reached this coach


class UpdateStatus(StrEnum):
    PENDING = "pending"  # stored and acknowledged, waiting for a worker (or for its retry)
    PROCESSING = "processing"  # claimed by a worker; claimed again if its lease runs out
    DONE = "done"
    FAILED = "failed"  # out of attempts: shown to admins, never dropped silently


class InboundUpdate(SQLModel, table=True):
    """One Telegram update, stored before it is acknowledged and handled by a worker.

    `update_id` is the key, so a redelivered update is ignored. `chat_key` orders one chat's
    updates: a worker takes an update only when no earlier one of that chat is still open.
    The payload is cleared when the update is done (the chat log keeps what matters, with
    consent); the row stays a while so a late redelivery is still recognised.
    """

    __tablename__ = "inbound_update"
    __table_args__ = (
        Index("ix_inbound_update_open", "status", "due_at"),
        Index("ix_inbound_update_chat", "chat_key", "status"),
    )

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    chat_key: int = Field(sa_column=Column(BigInteger, nullable=False))
    payload: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    status: str = Field(default=UpdateStatus.PENDING, sa_column=Column(String(16), nullable=False))
    attempts: int = 0
    due_at: datetime = _now_column()
    claimed_at: datetime | None = _optional_when()
    claimed_by: str | None = Field(default=None, sa_column=Column(String(64)))
    last_error: str | None = Field(default=None, sa_column=Column(String(200)))
    received_at: datetime = _now_column()
    done_at: datetime | None = _optional_when()


def row_id(
    row: Alert
    | Coach
    | Youth
    | Message
    | AuditEvent
    | Assessment
    | Appointment
    | OutboxMessage
    | PathStatus
    | CheckIn
    | CoachNotice
    | PortfolioEntry,
) -> int:
    """The primary key of a row that has been flushed; a row without one is a programming error."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush the session first")
    return row.id
