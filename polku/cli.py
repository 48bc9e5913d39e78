"""The `polku` command: serve, migrate, coach add, invite, appointments, the impact report.
Each sub-command has --help."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

import segno
from sqlmodel import Session, col, select
from telegram import Bot

from core.db import make_engine, transaction
from core.models import Appointment, Coach, Role, Youth, utcnow
from core.services.appointment_import import check_csv, parse_local_time
from core.services.appointments import AppointmentError, do_book, do_cancel, do_move
from core.services.audit import do_audit
from core.services.coaches import CoachError, access_coach_by_login, do_add_coach
from core.services.invites import deep_link, do_create_invite
from core.services.report import Filters, build_report, report_csv, report_rows
from core.settings import Settings, get_settings
from polku.logs import configure_logging
from polku.migrations import DatabaseNotReady, upgrade_to_head

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
    changed = upgrade_to_head(settings.database_url)  # on PostgreSQL under the migration lock
    print("Database migrated; it is up to date." if changed else "Database is up to date.")
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


def _appointment(session: Session, appointment_id: int) -> Appointment:
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:
        raise AppointmentError(f"no appointment with id {appointment_id}")
    return appointment


def _coach(session: Session, login: str | None) -> Coach | None:
    if login is None:
        return None
    coach = access_coach_by_login(session, login=login)
    if coach is None:
        raise CoachError(f"no active coach with login {login!r}")
    return coach


def cmd_appointment_add(settings: Settings, args: argparse.Namespace) -> int:
    engine = make_engine(settings.database_url)
    with transaction(engine) as session:
        youth = session.get(Youth, args.youth)
        if youth is None:
            raise AppointmentError(f"no young person with id {args.youth}")
        appointment = do_book(
            session,
            youth=youth,
            coach=_coach(session, args.coach),
            kind=args.kind,
            title=args.title,
            starts_at=_start(args.start, settings),
            duration_minutes=args.duration,
            place=args.place,
            latitude=args.lat,
            longitude=args.lon,
            bring=args.bring,
            notes=args.notes,
            tz=settings.tz,
            reminder_hours=settings.reminder_hours,
        )
        print(f"Appointment {appointment.id} booked; its reminders are scheduled.")
    return 0


def _start(text: str, settings: Settings) -> datetime:
    try:
        return parse_local_time(text, settings.tz)
    except ValueError as exc:
        raise AppointmentError("--start must look like 2026-12-01 10:00") from exc


def cmd_appointment_move(settings: Settings, args: argparse.Namespace) -> int:
    engine = make_engine(settings.database_url)
    with transaction(engine) as session:
        do_move(
            session,
            appointment=_appointment(session, args.id),
            starts_at=_start(args.start, settings),
            tz=settings.tz,
            reminder_hours=settings.reminder_hours,
        )
    print(f"Appointment {args.id} moved; the young person is told and old buttons go stale.")
    return 0


def cmd_appointment_cancel(settings: Settings, args: argparse.Namespace) -> int:
    engine = make_engine(settings.database_url)
    with transaction(engine) as session:
        do_cancel(session, appointment=_appointment(session, args.id), tz=settings.tz)
    print(f"Appointment {args.id} cancelled; the young person is told.")
    return 0


def cmd_appointment_list(settings: Settings, args: argparse.Namespace) -> int:
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        query = select(Appointment).order_by(col(Appointment.starts_at))
        if args.youth is not None:
            query = query.where(Appointment.youth_id == args.youth)
        for a in session.exec(query).all():
            when = a.starts_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")
            print(f"{a.id}\t{when}\t{a.kind}\t{a.status}\tyouth {a.youth_id}\t{a.title}")
    return 0


def cmd_appointment_import(settings: Settings, args: argparse.Namespace) -> int:
    text = Path(args.file).read_text(encoding="utf-8-sig")
    engine = make_engine(settings.database_url)
    with transaction(engine) as session:
        coach = _coach(session, args.coach)
        rows, errors = check_csv(session, text=text, tz=settings.tz, now=utcnow())
        if errors:
            for error in errors:
                print(f"{args.file}: {error}", file=sys.stderr)
            print(f"Nothing imported: {len(errors)} row(s) need fixing.", file=sys.stderr)
            return 2
        for done, row in enumerate(rows, start=1):
            youth = session.get(Youth, row.youth_id)
            if youth is None:  # checked above; the file and the database cannot disagree here
                raise AppointmentError(f"line {row.line}: the young person is gone")
            do_book(
                session,
                youth=youth,
                coach=coach,
                kind=row.kind,
                title=row.title,
                starts_at=row.starts_at,
                duration_minutes=row.duration_minutes,
                place=row.place,
                latitude=row.latitude,
                longitude=row.longitude,
                bring=row.bring,
                notes=row.notes,
                tz=settings.tz,
                reminder_hours=settings.reminder_hours,
            )
            if done % 100 == 0 or done == len(rows):
                print(f"\rbooked {done}/{len(rows)}", end="", flush=True)
    print(f"\nImported {len(rows)} appointment(s).")
    return 0


def _say(line: str) -> None:
    """A progress line that overwrites itself (stderr, so the tables stay clean)."""
    print(f"\r{line}\033[K", end="", file=sys.stderr, flush=True)


def report_tables(rows: list[tuple[str, str, str, str]]) -> str:
    """The report's rows as one small aligned table per section."""
    lines: list[str] = []
    item_width = max((len(r[1]) for r in rows), default=0)
    measure_width = max((len(r[2]) for r in rows), default=0)
    section = None
    for this, item, measure, value in rows:
        if this != section:
            lines += ["", this]
            section = this
        lines.append(f"  {item:<{item_width}}  {measure:<{measure_width}}  {value}")
    return "\n".join(lines[1:])


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    def midnight(day: date | None) -> datetime | None:
        return None if day is None else datetime.combine(day, time(), tzinfo=settings.tz)

    engine = make_engine(settings.database_url)
    with transaction(engine) as session:
        coach = _coach(session, args.coach)
        filters = Filters(
            start=midnight(args.start),
            end=midnight(args.end + timedelta(days=1) if args.end else None),
            coach_id=coach.id if coach else None,
            group=args.group,
        )
        report = build_report(
            session,
            viewer=None,
            filters=filters,
            now=utcnow(),
            progress=lambda step: _say(f"report: {step}…"),
        )
        _say("")
        print(report_tables(report_rows(report)))
        if args.csv:
            Path(args.csv).write_text(report_csv(report), encoding="utf-8")
            asked = {"from": args.start, "to": args.end, "coach": args.coach, "group": args.group}
            shown = " ".join(f"{k}={v}" for k, v in asked.items() if v is not None)
            do_audit(session, actor="system", action="report.export", detail=shown or None)
            print(f"\nWrote {args.csv}.")
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

    appointment = commands.add_parser("appointment", help="book, move, cancel, list, import")
    appointment_commands = appointment.add_subparsers(dest="appointment_command", required=True)
    add_one = appointment_commands.add_parser(
        "add", help="book a meeting, trial day or introduction"
    )
    add_one.add_argument("--youth", type=int, required=True, help="the young person's id")
    add_one.add_argument("--kind", required=True, help="meeting, trial_day, introduction, other")
    add_one.add_argument("--title", required=True)
    add_one.add_argument("--start", required=True, help="local time: 2026-12-01 10:00")
    add_one.add_argument("--duration", type=int, default=60, help="minutes (default 60)")
    add_one.add_argument("--place", help="address shown to the young person")
    add_one.add_argument("--lat", type=float, help="latitude, for 'Where is it?'")
    add_one.add_argument("--lon", type=float, help="longitude")
    add_one.add_argument("--bring", help="what to bring")
    add_one.add_argument("--notes", help="notes for the young person")
    add_one.add_argument("--coach", help="login of the coach who booked it")
    add_one.set_defaults(func=cmd_appointment_add)
    move = appointment_commands.add_parser("move", help="give an appointment a new time")
    move.add_argument("--id", type=int, required=True)
    move.add_argument("--start", required=True, help="local time: 2026-12-01 10:00")
    move.set_defaults(func=cmd_appointment_move)
    cancel = appointment_commands.add_parser("cancel", help="cancel an appointment")
    cancel.add_argument("--id", type=int, required=True)
    cancel.set_defaults(func=cmd_appointment_cancel)
    listing = appointment_commands.add_parser("list", help="list appointments")
    listing.add_argument("--youth", type=int, help="only this young person's")
    listing.set_defaults(func=cmd_appointment_list)
    importing = appointment_commands.add_parser(
        "import", help="book many from a CSV file; a file with any error imports nothing"
    )
    importing.add_argument("file", help="CSV with columns youth_id,kind,title,start,…")
    importing.add_argument("--coach", help="login of the coach who booked them")
    importing.set_defaults(func=cmd_appointment_import)

    report = commands.add_parser(
        "report", help="the impact report's tables; figures about fewer than 7 are hidden"
    )
    report.add_argument("--from", dest="start", type=date.fromisoformat, help="first day")
    report.add_argument("--to", dest="end", type=date.fromisoformat, help="last day")
    report.add_argument("--coach", help="only this coach's young people (login)")
    report.add_argument("--group", help="only this group (a project, a school)")
    report.add_argument("--csv", help="also write the figures to this CSV file")
    report.set_defaults(func=cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `polku` console script."""
    args = build_parser().parse_args(argv)
    settings = get_settings()
    configure_logging(secrets=[settings.telegram_bot_token, settings.webhook_secret])
    try:
        return int(args.func(settings, args))
    except (CoachError, AppointmentError, DatabaseNotReady) as exc:
        print(f"polku: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
