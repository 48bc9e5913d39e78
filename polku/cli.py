"""The `polku` command: serve, migrate, coach add, invite. Each sub-command has --help."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path

import segno
from telegram import Bot

from core.db import make_engine, transaction
from core.models import Role
from core.services.coaches import CoachError, access_coach_by_login, do_add_coach
from core.services.invites import deep_link, do_create_invite
from core.settings import Settings, get_settings
from polku.logs import configure_logging
from polku.migrations import upgrade_to_head

SANDBOX_BOT_USERNAME = "polku_sandbox_bot"


def _read_password(*, stdin_is_tty: bool) -> str:
    """Read a password from a prompt (twice) or from one line of stdin; never from argv."""
    if stdin_is_tty:
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password again: "):
            raise CoachError("the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\n")


def cmd_serve(settings: Settings, _args: argparse.Namespace) -> int:
    from polku.serve import serve  # the server's imports are heavy; other commands skip them

    asyncio.run(serve(settings))
    return 0


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> int:
    upgrade_to_head(settings.database_url)
    print("Database is up to date.")
    return 0


def cmd_coach_add(settings: Settings, args: argparse.Namespace) -> int:
    password = _read_password(stdin_is_tty=sys.stdin.isatty())
    engine = make_engine(settings.database_url)
    with transaction(engine) as session:
        coach = do_add_coach(
            session,
            login=args.login,
            display_name=args.name,
            password=password,
            role=Role(args.role),
        )
        print(f"Coach {coach.login} ({coach.display_name}, {coach.role}) added.")
    return 0


async def _bot_username(settings: Settings) -> str:
    if settings.sandbox:
        return SANDBOX_BOT_USERNAME
    async with Bot(settings.telegram_bot_token, base_url=settings.telegram_api_base_url) as bot:
        return bot.username


def cmd_invite(settings: Settings, args: argparse.Namespace) -> int:
    engine = make_engine(settings.database_url)
    with transaction(engine) as session:
        coach = access_coach_by_login(session, login=args.coach)
        if coach is None:
            raise CoachError(f"no active coach with login {args.coach!r}")
        invite = do_create_invite(session, coach=coach)
    link = deep_link(bot_username=asyncio.run(_bot_username(settings)), code=invite.code)
    qr_path = Path(args.qr or f"invite-{invite.code}.png")
    qr_path.parent.mkdir(parents=True, exist_ok=True)
    segno.make(link, error="m").save(str(qr_path), scale=8, border=2)
    print(link)
    print(f"QR code: {qr_path}  (valid until {invite.expires_at:%Y-%m-%d})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command line; every command and option is documented in README."""
    parser = argparse.ArgumentParser(prog="polku", description="Polku guidance bot")
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("serve", help="run the bot, the web app and the job queue").set_defaults(
        func=cmd_serve
    )
    commands.add_parser("migrate", help="bring the database schema up to date").set_defaults(
        func=cmd_migrate
    )

    coach = commands.add_parser("coach", help="manage coach accounts")
    coach_commands = coach.add_subparsers(dest="coach_command", required=True)
    add = coach_commands.add_parser(
        "add", help="add a coach; the password is read from a prompt or from stdin"
    )
    add.add_argument("--login", required=True, help="login name (lowercase)")
    add.add_argument("--name", required=True, help="display name young people see")
    add.add_argument("--role", choices=[r.value for r in Role], default=Role.COACH.value)
    add.set_defaults(func=cmd_coach_add)

    invite = commands.add_parser("invite", help="make a one-time invite link and its QR code")
    invite.add_argument("--coach", required=True, help="login of the coach the invite is for")
    invite.add_argument("--qr", help="where to write the QR code PNG (default invite-CODE.png)")
    invite.set_defaults(func=cmd_invite)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `polku` console script."""
    args = build_parser().parse_args(argv)
    settings = get_settings()
    configure_logging(secrets=[settings.telegram_bot_token, settings.webhook_secret])
    try:
        return int(args.func(settings, args))
    except CoachError as exc:
        print(f"polku: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
