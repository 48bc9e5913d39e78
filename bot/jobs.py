"""Scheduled work on PTB's JobQueue: the gentle re-assessment nudge, urgent alerts that
nobody opened going one ring further (core.services.alerts), and the check-ins after a
transition (core.services.checkins).

The job only queues: each due run is claimed with a compare-and-set and gets an outbox row
in the same transaction, so several Polku processes nudge about a run once; the dispatcher
sends it within Telegram's limits, in the young person's language.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from telegram.ext import ContextTypes

from bot.runtime import dialogues_of, engine_of, settings_of
from core.db import transaction
from core.dialogs.schema import Dialogue
from core.models import utcnow
from core.services.alerts import do_escalate_alerts
from core.services.checkins import do_queue_due_checkins
from core.services.nudges import do_queue_due_nudges
from core.settings import Settings
from core.timeutil import in_quiet_hours

log = logging.getLogger(__name__)

NUDGE_EVERY = timedelta(minutes=30)
ESCALATE_EVERY = timedelta(seconds=30)
CHECKIN_EVERY = timedelta(minutes=1)


def queue_due_nudges(
    *,
    engine: Engine,
    dialogues: Mapping[str, Dialogue],
    settings: Settings,
    now: datetime,
) -> int:
    """Queue an offer to repeat each dialogue finished long enough ago; never in quiet hours.

    Returns how many were queued. Each finished run is nudged about once, also when two
    processes run this at the same moment.
    """
    if in_quiet_hours(now, settings.tz):
        return 0
    with transaction(engine) as session:
        return do_queue_due_nudges(
            session,
            now=now,
            after=timedelta(days=settings.reassess_after_days),
            dialogue_ids=[d.id for d in dialogues.values() if d.repeat],
            tz=settings.tz,
        )


async def nudge_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The repeating job: queue a nudge for whoever is due now."""
    try:
        await asyncio.to_thread(  # database work stays off the event loop
            queue_due_nudges,
            engine=engine_of(context),
            dialogues=dialogues_of(context),
            settings=settings_of(context),
            now=utcnow(),
        )
    except Exception:  # a failed run must not stop the next one
        log.exception("nudge run failed")


def escalate_alerts(*, engine: Engine, settings: Settings, now: datetime) -> int:
    """Send each urgent alert nobody opened in time to its next ring; how many went on."""
    with transaction(engine) as session:
        return len(do_escalate_alerts(session, now=now, tz=settings.tz))


async def escalate_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The repeating job: urgent alerts nobody opened go further."""
    try:
        await asyncio.to_thread(
            escalate_alerts, engine=engine_of(context), settings=settings_of(context), now=utcnow()
        )
    except Exception:  # a failed run must not stop the next one
        log.exception("escalating urgent alerts failed")


def queue_due_checkins(*, engine: Engine, settings: Settings, now: datetime) -> int:
    """Queue each check-in that fell due (the dispatcher waits out the quiet hours), after
    marking the ones nobody answered; returns how many were queued, once across processes."""
    with transaction(engine) as session:
        return do_queue_due_checkins(session, now=now, tz=settings.tz)


async def checkin_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The repeating job: ask the check-ins that are due."""
    try:
        await asyncio.to_thread(
            queue_due_checkins,
            engine=engine_of(context),
            settings=settings_of(context),
            now=utcnow(),
        )
    except Exception:  # a failed run must not stop the next one
        log.exception("queueing check-ins failed")
