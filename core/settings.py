"""Settings from the environment and `.env`, built by a function so tests can make their own."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.checkin_schedule import Offset, parse_schedule

DEFAULT_DB_PATH = Path("var") / "polku.db"


class Settings(BaseSettings):
    """Every knob Polku reads; the names are the ones in DESIGN.md and `.env.example`."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    telegram_bot_token: str = Field(default="", alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: str = Field(
        default="https://api.telegram.org/bot", alias="TELEGRAM_API_BASE_URL"
    )
    telegram_api_file_url: str = Field(
        default="https://api.telegram.org/file/bot", alias="TELEGRAM_API_FILE_URL"
    )
    database_url: str = Field(default=f"sqlite:///{DEFAULT_DB_PATH}", alias="DATABASE_URL")
    # `polku serve` migrates an empty or older database to head before it starts; when off, it
    # refuses to start on such a database and names the command to run (`polku migrate`).
    auto_migrate: bool = Field(default=True, alias="POLKU_AUTO_MIGRATE")
    bind: str = Field(default="127.0.0.1:8000", alias="POLKU_BIND")
    webhook_url: str = Field(default="", alias="POLKU_WEBHOOK_URL")
    # The web app is reached only through a reverse proxy that appends the client's address to
    # X-Forwarded-For (and says https in X-Forwarded-Proto): sign-in limits then count the
    # address the proxy saw. Off: the connection's own address; the header is ignored.
    trusted_proxy: bool = Field(default=False, alias="POLKU_TRUSTED_PROXY")
    # The panel's public address (https://…): coaches' Telegram notices get a button to the page.
    panel_url: str = Field(default="", alias="POLKU_PANEL_URL")
    # A coach may answer a young person by replying to a notice in Telegram (off by default).
    coach_replies_in_telegram: bool = Field(default=False, alias="POLKU_COACH_REPLIES_IN_TELEGRAM")
    # E-mail for coach notices (empty host: no e-mail). STARTTLS unless switched off.
    smtp_host: str = Field(default="", alias="POLKU_SMTP_HOST")
    smtp_port: int = Field(default=587, alias="POLKU_SMTP_PORT")
    smtp_user: str = Field(default="", alias="POLKU_SMTP_USER")
    smtp_password: str = Field(default="", alias="POLKU_SMTP_PASSWORD", repr=False)
    smtp_from: str = Field(default="", alias="POLKU_SMTP_FROM")
    smtp_starttls: bool = Field(default=True, alias="POLKU_SMTP_STARTTLS")
    webhook_secret: str = Field(default="", alias="POLKU_WEBHOOK_SECRET")
    secret_key: str = Field(default="", alias="POLKU_SECRET_KEY")
    timezone: str = Field(default="Europe/Helsinki", alias="POLKU_TIMEZONE")
    panel_language: str = Field(default="fi", pattern="^(fi|sv|en)$", alias="POLKU_PANEL_LANGUAGE")
    reassess_after_days: int = Field(default=28, ge=1, alias="POLKU_REASSESS_AFTER_DAYS")
    reminder_hours: dict[str, list[int]] = Field(
        default_factory=lambda: {
            k: [24, 2] for k in ("meeting", "trial_day", "introduction", "other")
        },
        alias="POLKU_REMINDER_HOURS",
    )

    # When check-ins follow a transition into studies or work: days (d) or calendar months (m)
    # after its date.
    checkin_schedule: str = Field(default="14d,1m,2m,3m,6m,12m", alias="POLKU_CHECKIN_SCHEDULE")

    @field_validator("checkin_schedule")
    @classmethod
    def _schedule_parses(cls, value: str) -> str:
        parse_schedule(value)
        return value

    @property
    def checkin_offsets(self) -> tuple[Offset, ...]:
        """The check-in schedule as (amount, "d" or "m") pairs."""
        return parse_schedule(self.checkin_schedule)

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        """Refuse a webhook without a secret: anyone could then post fake updates."""
        if self.webhook_url and len(self.webhook_secret) < 16:
            raise ValueError(
                "POLKU_WEBHOOK_URL is set, so POLKU_WEBHOOK_SECRET must be set too "
                "(at least 16 characters of A-Z, a-z, 0-9, _ and -)"
            )
        return self

    @property
    def email_enabled(self) -> bool:
        """Whether coach notices can go by e-mail (a mail server and a sender are set)."""
        return bool(self.smtp_host and self.smtp_from)

    @property
    def sandbox(self) -> bool:
        """With no token Polku talks to the built-in Telegram stand-in instead of Telegram."""
        return not self.telegram_bot_token

    @property
    def host(self) -> str:
        return self.bind.rpartition(":")[0] or "127.0.0.1"

    @property
    def port(self) -> int:
        return int(self.bind.rpartition(":")[2])

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read once from the environment."""
    return Settings()
