"""The end of a self-assessment in at most three messages: a kind summary (strengths first), the
chart with what changed as its caption, and one offer."""

from __future__ import annotations

import asyncio
import gettext
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.charts import draw
from bot.replies import send_photo
from bot.safety import enter_safety_flow
from bot.turn import Turn
from core.charts import radar_png
from core.dialogs.engine import AnswerValue
from core.dialogs.scales import NUMERIC_SCALES
from core.dialogs.schema import Dialogue
from core.dialogs.scoring import Outcome, who5_band
from core.directory import load_directory
from core.i18n import N_
from core.phone_lines import phone_lines


@dataclass(frozen=True)
class FinishedRun:
    """What the summary needs, read inside the transaction that finished the run."""

    dialogue: Dialogue
    outcome: Outcome
    latest: dict[str, AnswerValue]
    first: dict[str, AnswerValue] | None  # the first run, when this is not it


# What a WHO-5 result says to the young person: kind words by band, never the number (the
# coach sees the score on the young person's page).
WHO5_WORDS = {
    "good": N_("😊 You have felt quite well lately. Good to hear!"),
    "low": N_("🌧 Life has felt heavy at times lately. Thank you for telling me."),
    "very_low": N_("🌧 Life has felt heavy lately. Thank you for telling me."),
}
MAX_NAMED = 2  # areas named in one line of the summary
ASK_COACH = N_("Would you like to talk about this with your coach?")


def _fitting(lines: list[tuple[str, list[str]]], t: gettext.NullTranslations) -> str:
    """Each line with as many of its areas as fit two phone lines in all (at least one)."""
    for named in range(MAX_NAMED, 0, -1):
        text = "\n".join(
            t.gettext(template).format(areas=", ".join(names[:named]))
            for template, names in lines
            if names
        )
        if phone_lines(text) <= 2 or named == 1:
            return text
    return ""


def summary_text(t: gettext.NullTranslations, run: FinishedRun) -> str:
    """One short message that never shames: strengths first, then at most two areas to work
    on. A WHO-5 gets kind words by band instead of its number."""
    result = run.outcome
    if run.dialogue.scoring == "who5":
        if result.score is None:
            return t.gettext("Thank you! Your coach can see your answers.")
        return t.gettext(WHO5_WORDS[who5_band(result.score)])
    value = {q.id: v for q in run.dialogue.questions if isinstance(v := run.latest.get(q.id), int)}
    strong = sorted(result.strong, key=lambda q: -value.get(q.id, 0))
    support = sorted(result.support, key=lambda q: value.get(q.id, 0))
    text = _fitting(
        [
            (GOING_WELL, [t.gettext(q.area) for q in strong]),
            (TO_WORK_ON, [t.gettext(q.area) for q in support]),
        ],
        t,
    )
    return text or t.gettext("Thank you! Your coach can see your answers.")


def change_text(t: gettext.NullTranslations, run: FinishedRun) -> str:
    """The chart's caption: what changed since last time, in words (or the title)."""
    result = run.outcome
    text = _fitting(
        [
            (BETTER, [t.gettext(q.area) for q in result.better]),
            (LOWER, [t.gettext(q.area) for q in result.worse]),
        ],
        t,
    )
    return text or t.gettext(run.dialogue.title)


GOING_WELL = N_("💪 Going well: {areas}.")
TO_WORK_ON = N_("🌱 Could use support: {areas}.")
BETTER = N_("📈 Better than last time: {areas}.")
LOWER = N_("Lower than last time: {areas}. That happens.")


async def chart_of(t: gettext.NullTranslations, run: FinishedRun) -> bytes | None:
    """The radar chart PNG of a run (first run underneath), labels in the young person's
    language; a skipped area is marked with a dash. Drawn in the chart pool (bot.charts)."""
    dialogue = run.dialogue
    if dialogue.chart != "radar":
        return None
    _ = t.gettext
    scale = NUMERIC_SCALES[dialogue.scale_of(dialogue.questions[0])]

    def values(answers: dict[str, AnswerValue]) -> list[float | None]:
        return [v if isinstance(v := answers.get(q.id), int) else None for q in dialogue.questions]

    latest = values(run.latest)
    labels = [
        _(q.area) + (" –" if value is None else "")
        for q, value in zip(dialogue.questions, latest, strict=True)
    ]
    return await draw(
        radar_png,
        labels=labels,
        latest=latest,
        first=values(run.first) if run.first is not None else None,
        low=scale.low,
        high=scale.high,
        title=_(dialogue.title),
        latest_label=_("Now"),
        first_label=_("First time"),
    )


async def send_result(turn: Turn[object], run: FinishedRun) -> None:
    """At most three messages: a kind summary, the chart with what changed as its caption, and
    one offer (the safety flow, the coach, a service or a tip).

    The chart is drawn while the summary is sent, so the words come at once and the picture
    right after them."""
    t = turn.translations
    drawing = asyncio.create_task(chart_of(t, run))
    try:
        await turn.say(summary_text(t, run))
    except BaseException:
        drawing.cancel()
        raise
    chart = await drawing
    if chart is not None:
        sent = await send_photo(
            turn.context,
            chat_id=turn.chat_id,
            youth_id=turn.youth_id,
            data=chart,
            caption=change_text(t, run),
        )
        if sent is None:
            return  # the young person blocked the bot
    await _offer_one(turn, run)


async def _offer_one(turn: Turn[object], run: FinishedRun) -> None:
    """The one thing to do next: the safety flow when the rule says so; else the coach when the
    rule offers them; else a service for an area to work on; else a tip; else, when an area
    needs support, the coach."""
    _ = turn._
    outcome = run.outcome
    if outcome.offer == "safety":
        await enter_safety_flow(
            turn, message=outcome.message, reason=f"{run.dialogue.id} score {outcome.score}"
        )
        return
    coach_button = InlineKeyboardMarkup(
        [[InlineKeyboardButton(_("💬 Talk to my coach"), callback_data="coach:talk")]]
    )
    if outcome.offer == "coach":
        message = outcome.message or ASK_COACH
        await turn.say(_(message), reply_markup=coach_button)
        return
    directory = load_directory()
    for service_id in outcome.services[:1]:
        service = directory[service_id]
        text = f"{_(service.name)}: {_(service.description)}"
        if service.url:
            button = InlineKeyboardButton(_(service.name), url=service.url)
            await turn.say(text, reply_markup=InlineKeyboardMarkup([[button]]))
        else:
            await turn.say(f"{text} ☎ {service.phone}" if service.phone else text)
        return
    if outcome.tips:
        await turn.say("💡 " + _(outcome.tips[0]))
        return
    if outcome.support:
        await turn.say(
            _("Would you like to talk about this with your coach?"), reply_markup=coach_button
        )
