"""The end of a self-assessment: a kind summary, the radar chart, services and offers."""

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
from core.dialogs.scoring import Outcome
from core.directory import load_directory
from core.i18n import N_

MAX_SERVICES = 3
MAX_TIPS = 2


@dataclass(frozen=True)
class FinishedRun:
    """What the summary needs, read inside the transaction that finished the run."""

    dialogue: Dialogue
    outcome: Outcome
    latest: dict[str, AnswerValue]
    first: dict[str, AnswerValue] | None  # the first run, when this is not it


def _areas(t: gettext.NullTranslations, questions: list) -> str:  # type: ignore[type-arg]
    return ", ".join(t.gettext(q.area) for q in questions)


def summary_lines(t: gettext.NullTranslations, run: FinishedRun) -> list[str]:
    """Short lines that never shame: what looks strong, what could use support, what changed."""
    _ = t.gettext
    result = run.outcome
    lines = []
    if run.dialogue.scoring == "who5" and result.score is not None:
        lines.append(_("Your wellbeing score: {score}/100.").format(score=int(result.score)))
    if result.strong:
        lines.append(_("💪 Looks strong: {areas}.").format(areas=_areas(t, result.strong)))
    if result.support:
        lines.append(_("🌱 Could use support: {areas}.").format(areas=_areas(t, result.support)))
    if result.better:
        lines.append(_("📈 Better than last time: {areas}.").format(areas=_areas(t, result.better)))
    if result.worse:
        lines.append(
            _("Lower than last time: {areas}. That happens.").format(areas=_areas(t, result.worse))
        )
    if not lines:
        lines.append(_("Thank you! Your coach can see your answers."))
    return lines


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
    """Summary, chart, tips, up to three services for low areas, and the rule's offer.

    The chart is drawn while the summary is sent, so the words come at once and the picture
    right after them."""
    t = turn.translations
    _ = t.gettext
    drawing = asyncio.create_task(chart_of(t, run))
    try:
        for line in summary_lines(t, run):
            await turn.say(line)
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
            caption=_(run.dialogue.title),
        )
        if sent is None:
            return  # the young person blocked the bot
    for tip in run.outcome.tips[:MAX_TIPS]:
        await turn.say("💡 " + _(tip))
    directory = load_directory()
    for service_id in run.outcome.services[:MAX_SERVICES]:
        service = directory[service_id]
        buttons = (
            InlineKeyboardMarkup([[InlineKeyboardButton(_(service.name), url=service.url)]])
            if service.url
            else None
        )
        text = f"{_(service.name)}: {_(service.description)}"
        if service.phone:
            text += f" ☎ {service.phone}"
        await turn.say(text, reply_markup=buttons)
    if run.outcome.offer == "safety":
        await enter_safety_flow(
            turn,
            message=run.outcome.message,
            reason=f"{run.dialogue.id} score {run.outcome.score}",
        )
    elif run.outcome.offer == "coach" or run.outcome.support:
        message = run.outcome.message or N_("Would you like to talk about this with your coach?")
        await turn.say(
            _(message),
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton(_("💬 Talk to my coach"), callback_data="coach:talk")]]
            ),
        )
