"""Which try of an update a handler is in, so failures are retried quietly and told only once.

The inbox worker sets `CURRENT` around `Application.process_update`. PTB catches a handler's
exception and hands it to the error handler; the error handler records it here, so the worker
knows the update failed and leaves it for a retry. Only on the final try does the young person
hear that something went wrong: earlier tries stay quiet, the retry will answer them.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field

from sqlalchemy.exc import DBAPIError, OperationalError
from telegram.error import BadRequest, NetworkError, RetryAfter


@dataclass
class Attempt:
    """One try at handling one update."""

    update_id: int
    number: int  # 1 for the first try
    final: bool  # no retry follows a failure of this try
    errors: list[BaseException] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.errors)

    @property
    def transient(self) -> bool:
        """Every failure was the way out (Telegram or the database), not the update itself."""
        return bool(self.errors) and all(is_transient(e) for e in self.errors)


def is_transient(error: BaseException) -> bool:
    """Telegram out of reach (5xx, time-out, network, 429) or the database out of reach:
    the same update will work once they are back."""
    if isinstance(error, RetryAfter):
        return True
    if isinstance(error, NetworkError):  # PTB's 5xx, time-outs and connection errors
        return not isinstance(error, BadRequest)  # (Forbidden is no NetworkError)
    # Locked, refused, closed, terminated: OperationalError; a dropped connection: invalidated.
    return isinstance(error, OperationalError) or (
        isinstance(error, DBAPIError) and error.connection_invalidated
    )


CURRENT: ContextVar[Attempt | None] = ContextVar("polku_update_attempt", default=None)


def current_attempt() -> Attempt | None:
    """The try in progress, or None outside the inbox worker (e.g. a job's own run)."""
    return CURRENT.get()


def note_failure(error: BaseException) -> bool:
    """Record a handler failure; True when it is final and the young person must be told."""
    attempt = CURRENT.get()
    if attempt is None:
        return True
    attempt.errors.append(error)
    return attempt.final
