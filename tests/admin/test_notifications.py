"""A coach's notice settings in the panel: the e-mail address (when Polku can send mail), muting
a channel, and the forms' tokens."""

from __future__ import annotations

from sqlmodel import select

from core.db import transaction
from core.models import Coach
from core.settings import Settings

WITH_MAIL = Settings(
    _env_file=None,
    POLKU_PANEL_LANGUAGE="en",
    POLKU_SMTP_HOST="mail.example.org",
    POLKU_SMTP_FROM="polku@example.org",
)


def _coach(panel) -> Coach:
    with transaction(panel.engine) as session:
        return session.exec(select(Coach).where(Coach.login == "anna")).one()


async def test_a_coach_sets_and_mutes_their_e_mail_for_notices(panel) -> None:
    panel.add_coach("anna")
    panel.app.state.panel.settings = WITH_MAIL
    coach = await panel.signed_in("anna")
    page = (await coach.get("/notifications")).text
    assert "<title>Notifications · Polku</title>" in page
    assert "Your e-mail address for notices" in page
    await coach.post("/notifications/email", {"email": " anna@example.org "})
    assert _coach(panel).email == "anna@example.org"
    refused = await coach.post("/notifications/email", {"email": "not an address"})
    assert refused.status_code == 422
    assert "does not look like an e-mail address" in refused.text
    assert _coach(panel).email == "anna@example.org"  # the old one stays
    await coach.post("/notifications/email/mute", {"on": ""})
    assert _coach(panel).notify_email is False
    assert "Switch e-mails on" in (await coach.get("/notifications")).text


async def test_without_a_mail_server_no_address_is_asked(panel) -> None:
    panel.add_coach("anna")
    coach = await panel.signed_in("anna")
    assert "Your e-mail address for notices" not in (await coach.get("/notifications")).text


async def test_notice_settings_need_the_forms_token(panel) -> None:
    panel.add_coach("anna")
    panel.app.state.panel.settings = WITH_MAIL
    coach = await panel.signed_in("anna")
    for path, data in (
        ("/notifications/email", {"email": "mallory@example.org"}),
        ("/notifications/telegram", {}),
        ("/notifications/telegram/unlink", {}),
        ("/notifications/telegram/mute", {"on": ""}),
    ):
        forged = await coach.http.post(path, data=data)
        assert forged.status_code == 403, path
    assert _coach(panel).email is None


async def test_a_coach_sets_a_quiet_time_and_a_wrong_one_is_explained(panel) -> None:
    panel.add_coach("anna")
    coach = await panel.signed_in("anna")
    await coach.post("/notifications/quiet", {"quiet_from": "21:00", "quiet_until": "07:30"})
    assert (_coach(panel).quiet_from, _coach(panel).quiet_until) == ("21:00", "07:30")
    wrong = await coach.post("/notifications/quiet", {"quiet_from": "21:00", "quiet_until": ""})
    assert wrong.status_code == 422 and "Give both times" in wrong.text
    assert _coach(panel).quiet_until == "07:30"


async def test_unlinking_telegram_asks_first(panel) -> None:
    panel.add_coach("anna")
    coach = await panel.signed_in("anna")
    assert (await coach.get("/notifications/telegram/unlink")).status_code == 303  # not linked
    with transaction(panel.engine) as session:
        anna = session.exec(select(Coach).where(Coach.login == "anna")).one()
        anna.telegram_chat_id = 4242
        session.add(anna)
    page = (await coach.get("/notifications")).text
    assert 'action="/notifications/telegram/unlink"' not in page  # no one-tap button
    assert 'href="/notifications/telegram/unlink"' in page
    confirm = await coach.get("/notifications/telegram/unlink")
    assert "Unlink your Telegram?" in confirm.text
    assert "you make a new link on this page" in confirm.text
    assert _coach(panel).telegram_chat_id == 4242
    done = await coach.post("/notifications/telegram/unlink")
    assert done.status_code == 303 and _coach(panel).telegram_chat_id is None
