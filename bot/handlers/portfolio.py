"""The follow-up after a trial day or introduction, and the portfolio it builds (/portfolio)."""

from __future__ import annotations

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.appointment_text import ACTIVITY_LABELS, CONTINUE_LABELS, RATING_FACES
from bot.handlers.appointments import CHANGED, AppointmentTap
from bot.replies import answer_tap
from bot.turn import take_turn, tap_data, tapped
from core.i18n import gettext_for
from core.models import AppointmentStatus, PortfolioEntry, Youth, row_id
from core.services.portfolio import (
    do_add_words,
    do_rate,
    do_save,
    do_toggle_activity,
    draft_of,
    entries,
)


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
    tap = AppointmentTap.of(update)
    rating = int(tap.action)

    def rate(session: Session, youth: Youth) -> tuple[PortfolioEntry, str] | None:
        """(the entry being filled in, the appointment's title), or None for an old button."""
        appointment = tap.current(session, youth)
        if appointment is None:
            return None
        entry = do_rate(session, youth=youth, appointment=appointment, rating=rating)
        appointment.status = AppointmentStatus.ATTENDED
        session.add(appointment)
        return entry, appointment.title

    turn = await take_turn(update, context, rate)
    if turn.result is None:
        await answer_tap(update, turn._(CHANGED))
        return
    entry, title = turn.result
    await answer_tap(update)
    try:
        await tapped(update).edit_message_text(f"🌟 {title}: {RATING_FACES[rating - 1]}")
    except BadRequest:
        pass  # a second tap on the same face
    await turn.say(
        turn._("What did you do there? Tick and press Done. You can also write."),
        reply_markup=activities_keyboard(turn.language, entry),
    )


async def on_step(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`fp:<entry>:t<activity>|done|c<yes|maybe|no>` on the young person's unsaved entry."""
    _prefix, entry_id, code = tap_data(update).split(":", 2)

    def step(session: Session, youth: Youth) -> PortfolioEntry | None:
        """The entry after the step, or None when it is not theirs or already saved."""
        entry = session.get(PortfolioEntry, int(entry_id))
        if entry is None or entry.youth_id != row_id(youth) or entry.saved:
            return None
        if code.startswith("t"):
            do_toggle_activity(session, entry=entry, activity=code[1:])
        elif code.startswith("c"):
            do_save(session, entry=entry, wants_to_continue=code[1:])
        return entry

    turn = await take_turn(update, context, step)
    _ = turn._
    entry = turn.result
    if entry is None:
        await answer_tap(update, _("This is already saved in your portfolio 🙂"))
        return
    await answer_tap(update)
    query = tapped(update)
    if code.startswith("t"):
        try:
            await query.edit_message_reply_markup(
                reply_markup=activities_keyboard(turn.language, entry)
            )
        except BadRequest:
            pass
    elif code == "done":
        await query.edit_message_reply_markup(reply_markup=None)
        await turn.say(
            _("Would you like to continue in this field?"),
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(_(label), callback_data=f"fp:{entry_id}:c{choice}")
                        for choice, label in CONTINUE_LABELS.items()
                    ]
                ]
            ),
        )
    elif code.startswith("c"):
        await query.edit_message_reply_markup(reply_markup=None)
        await turn.say(_("Saved in your portfolio 📒 /portfolio shows it."))


async def keep_words(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> bool:
    """Free text while a follow-up is open goes into the entry; False when none is open."""

    def keep(session: Session, youth: Youth) -> bool:
        entry = draft_of(session, youth=youth)
        if entry is None:
            return False
        do_add_words(session, entry=entry, text=text)
        return True

    turn = await take_turn(update, context, keep)
    if not turn.result:
        return False
    await turn.say(turn._("Thanks, I saved your words for your portfolio."))
    return True


async def portfolio(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/portfolio: the saved entries, newest first."""
    turn = await take_turn(
        update, context, lambda session, youth: entries(session, youth_id=row_id(youth))[:15]
    )
    _ = turn._
    lines = [
        f"📒 {e.happened_at:%d.%m.%Y} {e.field}"
        + (f", {e.place}" if e.place else "")
        + (f" {RATING_FACES[e.rating - 1]}" if e.rating else "")
        + (" ✔" if e.confirmed_at else "")
        for e in turn.result
    ]
    text = (
        _("Your portfolio:") + "\n" + "\n".join(lines)
        if lines
        else _("Your portfolio is empty. After a trial day I ask how it went.")
    )
    await turn.say(text)
