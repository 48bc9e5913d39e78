"""Many trial days at once from a school's schedule (CSV): every row is checked first, and a
file with any error imports nothing."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from core.models import Youth
from core.services.appointments import AppointmentError, check_appointment

COLUMNS = (
    "youth_id",
    "kind",
    "title",
    "start",
    "duration_minutes",
    "place",
    "latitude",
    "longitude",
    "bring",
    "notes",
)
REQUIRED = ("youth_id", "kind", "title", "start")


@dataclass(frozen=True)
class ImportRow:
    line: int
    youth_id: int
    kind: str
    title: str
    starts_at: datetime
    duration_minutes: int
    place: str | None
    latitude: float | None
    longitude: float | None
    bring: str | None
    notes: str | None


def parse_local_time(text: str, tz: ZoneInfo) -> datetime:
    """'2026-12-01 10:00' on the local clock, or an ISO time with its own offset."""
    moment = datetime.fromisoformat(text.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _optional_float(value: str, name: str) -> float | None:
    if not value.strip():
        return None
    try:
        return float(value.replace(",", "."))
    except ValueError as exc:
        raise AppointmentError(f"{name} is not a number") from exc


def check_csv(
    session: Session, *, text: str, tz: ZoneInfo, now: datetime
) -> tuple[list[ImportRow], list[str]]:
    """(rows, errors): errors name the line (the header is line 1) and the reason."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], [f"line 1: missing columns: {', '.join(missing)}"]
    unknown = [c for c in header if c not in COLUMNS]
    if unknown:
        return [], [f"line 1: unknown columns: {', '.join(unknown)}"]
    rows, errors = [], []
    for line, raw in enumerate(reader, start=2):
        record = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        try:
            if not record["youth_id"].isdecimal():
                raise AppointmentError("youth_id must be a number")
            youth = session.get(Youth, int(record["youth_id"]))
            if youth is None:
                raise AppointmentError(f"no young person with id {record['youth_id']}")
            try:
                starts_at = parse_local_time(record["start"], tz)
            except ValueError as exc:
                raise AppointmentError("start must look like 2026-12-01 10:00") from exc
            check_appointment(
                kind=record["kind"], title=record["title"], starts_at=starts_at, now=now
            )
            duration = record.get("duration_minutes") or "60"
            if not duration.isdecimal() or not 1 <= int(duration) <= 24 * 60:
                raise AppointmentError("duration_minutes must be 1–1440")
            rows.append(
                ImportRow(
                    line=line,
                    youth_id=int(record["youth_id"]),
                    kind=record["kind"],
                    title=record["title"],
                    starts_at=starts_at,
                    duration_minutes=int(duration),
                    place=record.get("place") or None,
                    latitude=_optional_float(record.get("latitude", ""), "latitude"),
                    longitude=_optional_float(record.get("longitude", ""), "longitude"),
                    bring=record.get("bring") or None,
                    notes=record.get("notes") or None,
                )
            )
        except AppointmentError as exc:
            errors.append(f"line {line}: {exc}")
    return rows, errors
