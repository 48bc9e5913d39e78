"""Build the PTB Application: every handler is registered here, in one place."""

from __future__ import annotations

import asyncio

from sqlalchemy.engine import Engine
from telegram import BotCommand, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import dispatch, jobs, notices, safety
from bot.charts import shutdown_chart_pool
from bot.crisis_fallback import CrisisFallback
from bot.handlers import (
    after,
    appointments,
    assessment,
    menu,
    onboarding,
    portfolio,
    privacy,
    record,
    talk,
    unexpected,
)
from bot.inbox import INBOX_KEY, Inbox, inbox_of
from bot.runtime import DETECTOR_KEY, DIALOGUES_KEY, ENGINE_KEY, FALLBACK_KEY, SETTINGS_KEY
from core.crisis import PHRASES_DIR, Detector
from core.crisis_model import CrisisModel
from core.crisis_resources import load_resources
from core.dialogs.loader import load_dialogues
from core.directory import load_directory
from core.i18n import LANGUAGES, N_, gettext_for
from core.services.notices import LINK_PREFIX
from core.services.path import load_paths
from core.settings import Settings

# The token the stand-in accepts when no real token is configured.
SANDBOX_TOKEN = "1000000001:polku-sandbox"  # noqa: S105 (not a secret: the stand-in's)

COMMANDS = (
    ("start", N_("Start or return to the menu")),
    ("help", N_("What Polku can do")),
    ("language", N_("Change the language")),
    ("privacy", N_("What Polku keeps")),
    ("mydata", N_("Get all your data")),
    ("delete", N_("Erase everything about you")),
    ("appointments", N_("Your appointments")),
    ("portfolio", N_("Your portfolio")),
    ("coach", N_("Talk to your coach")),
)

PRIVATE = filters.ChatType.PRIVATE
DIALOGUE_TAPS = r"^(q|dlg|dlgnew|resume):"
MEDIA = (
    filters.PHOTO
    | filters.VOICE
    | filters.AUDIO
    | filters.VIDEO
    | filters.VIDEO_NOTE
    | filters.Sticker.ALL
    | filters.Document.ALL
    | filters.LOCATION
    | filters.CONTACT
)


# httpx looks at every kept connection on every request: PTB's default of 256 connections,
# all opened under load, costs more CPU than the requests themselves. A few connections, kept
# busy, carry more messages a second; a request waits up to POOL_WAIT_SECONDS for one.
BOT_CONNECTIONS = 8
POOL_WAIT_SECONDS = 10.0


def build_application(settings: Settings, engine: Engine) -> Application:  # type: ignore[type-arg]
    """Create the bot with its handlers; it talks to Telegram or to the stand-in per settings."""
    token = settings.telegram_bot_token or SANDBOX_TOKEN
    application = (
        Application.builder()
        .token(token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_file_url)
        .updater(None)
        .connection_pool_size(BOT_CONNECTIONS)
        .pool_timeout(POOL_WAIT_SECONDS)
        .build()
    )
    application.bot_data[ENGINE_KEY] = engine
    application.bot_data[SETTINGS_KEY] = settings
    application.bot_data[DIALOGUES_KEY] = load_dialogues()  # a broken file stops start-up
    detector = Detector.from_folder(PHRASES_DIR, model=CrisisModel.load())
    application.bot_data[DETECTOR_KEY] = detector
    inbox = Inbox(application, engine)
    inbox.fallback = CrisisFallback(application, detector, is_handled=inbox.is_handled)
    application.bot_data[FALLBACK_KEY] = inbox.fallback
    application.bot_data[INBOX_KEY] = inbox
    load_directory()
    load_paths()  # a broken paths/situations.yaml stops start-up too
    load_resources()
    register_handlers(application)
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            jobs.nudge_job, interval=jobs.NUDGE_EVERY, first=60, name="reassessment nudges"
        )
        # Frequent jobs: one run at a time, a missed run not made up (the next one catches up).
        frequent = (
            (dispatch.dispatch_job, dispatch.DISPATCH_EVERY, 1, "outbox dispatcher"),
            (jobs.escalate_job, jobs.ESCALATE_EVERY, 5, "urgent alert escalation"),
            (notices.send_notices, notices.NOTICE_EVERY, 1, "coach notices"),
            (jobs.checkin_job, jobs.CHECKIN_EVERY, 10, "check-ins after a transition"),
        )
        for callback, every, first, name in frequent:
            application.job_queue.run_repeating(
                callback,
                interval=every,
                first=first,
                name=name,
                job_kwargs={"max_instances": 1, "coalesce": True},
            )
    return application


def register_handlers(application: Application) -> None:  # type: ignore[type-arg]
    """All handlers, in the order they are tried."""
    add = application.add_handler
    # A coach linking their own chat for notices is never taken for a young person.
    start_coach_link = filters.Regex(rf"^/start {LINK_PREFIX}")
    add(CommandHandler("start", notices.link_coach, filters=PRIVATE & start_coach_link), group=-4)
    coach_chats = application.bot_data[notices.COACH_CHATS_KEY] = notices.CoachChats()
    add(MessageHandler(PRIVATE & coach_chats, notices.in_coach_chat), group=-4)
    add(TypeHandler(Update, record.record_incoming), group=-3)
    # Crisis wording first, in every state; it stops the update only when it answered a crisis.
    add(MessageHandler(PRIVATE & ~filters.COMMAND & (filters.TEXT | MEDIA), safety.watch), group=-2)
    # During a talk with a coach these take the update and stop; otherwise they pass it on.
    add(
        MessageHandler(
            PRIVATE & ~filters.COMMAND & (filters.TEXT | MEDIA), talk.relay_while_talking
        ),
        group=-1,
    )
    add(CallbackQueryHandler(talk.pause_dialogue_taps, pattern=DIALOGUE_TAPS), group=-1)

    groups = filters.ChatType.GROUPS | filters.UpdateType.CHANNEL_POSTS
    add(MessageHandler(groups, unexpected.on_group))
    add(ChatMemberHandler(unexpected.on_membership, ChatMemberHandler.MY_CHAT_MEMBER))
    add(CommandHandler("start", onboarding.start, filters=PRIVATE))
    add(CommandHandler("language", onboarding.language_command, filters=PRIVATE))
    add(CommandHandler("help", menu.help_command, filters=PRIVATE))
    add(CommandHandler("privacy", privacy.privacy, filters=PRIVATE))
    add(CommandHandler("mydata", privacy.mydata, filters=PRIVATE))
    add(CommandHandler("delete", privacy.delete, filters=PRIVATE))
    add(CommandHandler("appointments", appointments.my_appointments, filters=PRIVATE))
    add(CommandHandler("portfolio", portfolio.portfolio, filters=PRIVATE))
    add(CommandHandler("coach", talk.open_talk, filters=PRIVATE))
    add(CallbackQueryHandler(onboarding.choose_language, pattern=r"^lang:"))
    add(CallbackQueryHandler(onboarding.answer_consent, pattern=r"^consent:(yes|no)$"))
    add(CallbackQueryHandler(privacy.change_consent, pattern=r"^privacy:(yes|no)$"))
    add(CallbackQueryHandler(privacy.allow_and_go_on, pattern=r"^allow:(talk|assess)$"))
    add(CallbackQueryHandler(privacy.on_rights_tap, pattern=r"^rights:(mydata|delete)$"))
    add(CallbackQueryHandler(menu.on_help_choice, pattern=r"^help:[a-z]+$"))
    add(CallbackQueryHandler(privacy.answer_erase, pattern=r"^erase:(yes|no):"))
    add(CallbackQueryHandler(assessment.on_question_tap, pattern=r"^q:"))
    add(CallbackQueryHandler(assessment.on_choose_dialogue, pattern=r"^dlg(new)?:"))
    add(CallbackQueryHandler(assessment.on_resume, pattern=r"^resume:"))
    add(CallbackQueryHandler(assessment.on_later, pattern=r"^nudge:later$"))
    add(CallbackQueryHandler(talk.on_talk_tap, pattern=r"^coach:talk$"))
    add(CallbackQueryHandler(safety.on_safe_answer, pattern=r"^safe:(yes|no)$"))
    add(CallbackQueryHandler(safety.on_check_in_answer, pattern=r"^checkin:(ok|low|help):"))
    add(CallbackQueryHandler(safety.on_resource_tap, pattern=r"^sos:"))
    add(CallbackQueryHandler(after.on_answer, pattern=after.PATTERN))
    add(
        CallbackQueryHandler(
            appointments.on_attendance, pattern=r"^ap:\d+:\d+:(coming|cant|where)$"
        )
    )
    add(CallbackQueryHandler(appointments.on_new_time, pattern=r"^apn:\d+:\d+:(yes|no)$"))
    add(CallbackQueryHandler(portfolio.on_rating, pattern=r"^fu:\d+:\d+:[1-5]$"))
    add(CallbackQueryHandler(portfolio.on_step, pattern=r"^fp:\d+:(t[a-z]+|done|c(yes|maybe|no))$"))
    add(CallbackQueryHandler(unexpected.on_stale_tap))
    add(MessageHandler(PRIVATE & filters.UpdateType.EDITED_MESSAGE, unexpected.on_edited))
    add(MessageHandler(PRIVATE & filters.COMMAND, unexpected.on_unknown_command))
    add(MessageHandler(PRIVATE & filters.TEXT, menu.on_text))
    add(MessageHandler(PRIVATE & MEDIA, unexpected.on_media))
    application.add_error_handler(unexpected.on_error)


async def start_bot(application: Application) -> None:  # type: ignore[type-arg]
    """Connect to Telegram (getMe), start the job queue and the inbox's workers, and publish
    the commands."""
    await application.initialize()
    await application.start()
    inbox_of(application).start()
    await set_commands(application)


async def stop_bot(application: Application) -> None:  # type: ignore[type-arg]
    """Let the updates in hand and running jobs finish, then close the connection."""
    await inbox_of(application).stop()
    await application.stop()
    await application.shutdown()
    await asyncio.to_thread(shutdown_chart_pool)


async def set_commands(application: Application) -> None:  # type: ignore[type-arg]
    """Publish the command list in each language (Finnish is also the default)."""
    for language in (None, *LANGUAGES):
        _ = gettext_for(language).gettext
        commands = [BotCommand(name, _(description)) for name, description in COMMANDS]
        await application.bot.set_my_commands(commands, language_code=language)
