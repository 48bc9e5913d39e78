"""The safety flow hook: a soft message with crisis resources, and an audit trail.

Self-assessment enters it (WHO-5 ≤ 28). The safety-net issue builds the full flow on this
hook (crisis wording detection, an urgent alert to the coach, the handover).
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import ContextTypes

from bot.replies import say
from bot.runtime import engine_of
from core.db import transaction
from core.i18n import N_, gettext_for
from core.services.audit import do_audit

CRISIS_TEXT = N_("If it feels heavy now: call 112 in an emergency or MIELI 09 2525 0111.")
SEKASIN_URL = "https://sekasin.fi"


async def enter_safety_flow(
    context: ContextTypes.DEFAULT_TYPE,
    *,
    chat_id: int,
    youth_id: int,
    language: str,
    message: str | None,
    reason: str,
) -> None:
    """Say something kind, give the crisis resources and a way to a person, and audit it."""
    _ = gettext_for(language).gettext
    with transaction(engine_of(context)) as session:
        do_audit(session, actor="system", action="safety.flow", youth_id=youth_id, detail=reason)
    if message:
        await say(context, chat_id=chat_id, youth_id=youth_id, text=_(message))
    await say(
        context,
        chat_id=chat_id,
        youth_id=youth_id,
        text=_(CRISIS_TEXT),
        reply_markup=InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(_("Sekasin chat (12–29 y)"), url=SEKASIN_URL)],
                [InlineKeyboardButton(_("💬 Talk to my coach"), callback_data="coach:talk")],
            ]
        ),
    )
