"""Which try of an update a handler is in, so failures are retried quietly and told only once.

The inbox worker sets `CURRENT` around `Application.process_update`. PTB catches a handler's
exception and hands it to the error handler; the error handler records it here, so the worker
knows the update failed and leaves it for a retry. Only on the final try does the young person
hear that something went wrong: earlier tries stay quiet, the retry will answer them.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field


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
