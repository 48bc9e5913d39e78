"""The follow-up after a trial day or introduction, and the portfolio it builds (/portfolio)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.appointment_text import ACTIVITY_LABELS, CONTINUE_LABELS, RATING_FACES
from bot.handlers.appointments import tapped_appointment
from bot.replies import answer_tap, say
from bot.runtime import engine_of, language_of, youth_of
from core.db import transaction
from core.i18n import gettext_for
from core.models import AppointmentStatus, PortfolioEntry, row_id
from core.services.portfolio import (
    do_add_words,
    do_rate,
    do_save,
    do_toggle_activity,
    draft_of,
    entries,
)

STALE = "The time has changed. Please see the newest message 🙂"


def activities_keyboard(language: str, entry: PortfolioEntry) -> InlineKeyboardMarkup:
    _ = gettext_for(language).gettext
    rows = [
        [
            InlineKeyboardButton(
                ("✅ " if code in entry.activities else "") + _(label),
                callback_data=f"fp:{entry.id}:t{code}",
            )
        ]
        for code, label in ACTIVITY_LABELS.items()
    ]
    rows.append([InlineKeyboardButton(_("Done ✔"), callback_data=f"fp:{entry.id}:done")])
    return InlineKeyboardMarkup(rows)


async def on_rating(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`fu:<appointment>:<version>:<1-5>`: how it went; then what they did."""
    with transaction(engine_of(context)) as session:
        youth = youth_of(session, update)
        youth_id, language, appointment, rating = tapped_appointment(session, update)
        entry = None
        if appointment is not None:
            entry = do_rate(session, youth=youth, appointment=appointment, rating=int(rating))
            appointment.status = AppointmentStatus.ATTENDED
            session.add(appointment)
            keyboard = activities_keyboard(language, entry)
            title = appointment.title
    _ = gettext_for(language).gettext
    if entry is None:
        await answer_tap(update, _(STALE))
        return
    await answer_tap(update)
    try:
        await update.callback_query.edit_message_text(
            f"🌟 {title}: {RATING_FACES[int(rating) - 1]}"
        )
    except BadRequest:
        pass  # a second tap on the same face
    await say(
        context,
        chat_id=update.effective_chat.id,
        youth_id=youth_id,
        text=_("What did you do there? Tick and press Done. You can also write."),
        reply_markup=keyboard,
    )


async def on_step(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`fp:<entry>:t<activity>|done|c<yes|maybe|no>` on the young person's unsaved entry."""
    _prefix, entry_id, code = update.callback_query.data.split(":", 2)
    saved = False
    with transaction(engine_of(context)) as session:
        youth = youth_of(session, update)
        youth_id, language = row_id(youth), language_of(update, youth)
        entry = session.get(PortfolioEntry, int(entry_id))
        if entry is None or entry.youth_id != youth_id or entry.saved:
            entry = None
        elif code.startswith("t"):
            do_toggle_activity(session, entry=entry, activity=code[1:])
            keyboard = activities_keyboard(language, entry)
        elif code.startswith("c"):
            do_save(session, entry=entry, wants_to_continue=code[1:])
            saved = True
    _ = gettext_for(language).gettext
    if entry is None:
        await answer_tap(update, _("This is already saved in your portfolio 🙂"))
        return
    await answer_tap(update)
    query = update.callback_query
    if code.startswith("t"):
        try:
            await query.edit_message_reply_markup(reply_markup=keyboard)
        except BadRequest:
            pass
    elif code == "done":
        await query.edit_message_reply_markup(reply_markup=None)
        await say(
            context,
            chat_id=update.effective_chat.id,
            youth_id=youth_id,
            text=_("Would you like to continue in this field?"),
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(_(label), callback_data=f"fp:{entry_id}:c{choice}")
                        for choice, label in CONTINUE_LABELS.items()
                    ]
                ]
            ),
        )
    elif saved:
        await query.edit_message_reply_markup(reply_markup=None)
        await say(
            context,
            chat_id=update.effective_chat.id,
            youth_id=youth_id,
            text=_("Saved in your portfolio 📒 /portfolio shows it."),
        )


async def keep_words(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> bool:
    """Free text while a follow-up is open goes into the entry; False when none is open."""
    with transaction(engine_of(context)) as session:
        youth = youth_of(session, update)
        youth_id, language = row_id(youth), language_of(update, youth)
        entry = draft_of(session, youth=youth)
        if entry is None:
            return False
        do_add_words(session, entry=entry, text=text)
    await say(
        context,
        chat_id=update.effective_chat.id,
        youth_id=youth_id,
        text=gettext_for(language).gettext("Thanks, I saved your words for your portfolio."),
    )
    return True


async def portfolio(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/portfolio: the saved entries, newest first."""
    with transaction(engine_of(context)) as session:
        youth = youth_of(session, update)
        youth_id, language = row_id(youth), language_of(update, youth)
        saved = entries(session, youth_id=youth_id)
        lines = [
            f"📒 {e.happened_at:%d.%m.%Y} {e.field}"
            + (f", {e.place}" if e.place else "")
            + (f" {RATING_FACES[e.rating - 1]}" if e.rating else "")
            + (" ✔" if e.confirmed_at else "")
            for e in saved[:15]
        ]
    _ = gettext_for(language).gettext
    text = (
        _("Your portfolio:") + "\n" + "\n".join(lines)
        if lines
        else _("Your portfolio is empty. After a trial day I ask how it went.")
    )
    await say(context, chat_id=update.effective_chat.id, youth_id=youth_id, text=text)
