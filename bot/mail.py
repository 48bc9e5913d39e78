"""E-mail for coach notices: the second channel, and the one for coaches without Telegram.

Sent with the standard library's SMTP client (STARTTLS unless switched off) in a worker thread,
so a slow mail server never holds the event loop. A 4xx answer, a refused or dropped
connection or a time-out is transient (the notice is tried again); a 5xx answer is final.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from core.settings import Settings

SMTP_TIMEOUT_SECONDS = 20


class MailError(Exception):
    """The mail was not sent; `transient` says whether trying again later may work."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


def send_email(settings: Settings, *, to: str, subject: str, body: str) -> None:
    """Send one plain-text mail; MailError when it was not accepted. Blocking: run it in a
    thread."""
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS
        ) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(message)
    except smtplib.SMTPResponseException as exc:
        raise MailError(f"SMTP {exc.smtp_code}", transient=400 <= exc.smtp_code < 500) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError("SMTP recipient refused", transient=False) from exc
    except (smtplib.SMTPException, OSError) as exc:  # refused, dropped, timed out
        raise MailError(type(exc).__name__, transient=True) from exc
