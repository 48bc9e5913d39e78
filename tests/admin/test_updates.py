"""Failed updates, as an admin meets them: listed without what was written, tried again on a
tap; a plain coach finds no such page, and a forged form changes nothing."""

from __future__ import annotations

from core.db import transaction
from core.models import InboundUpdate, Role, UpdateStatus
from core.services.inbox import MAX_ATTEMPTS

SECRET_WORDS = "kukaan ei saa tietää tätä"


def failed_update(panel, chat_id: int, update_id: int = 77) -> None:
    with transaction(panel.engine) as session:
        session.add(
            InboundUpdate(
                update_id=update_id,
                chat_key=chat_id,
                payload={"update_id": update_id, "message": {"text": SECRET_WORDS}},
                status=UpdateStatus.FAILED,
                attempts=MAX_ATTEMPTS,
                last_error="OperationalError",
                done_at=panel.clock(),
            )
        )


def status_of(panel, update_id: int = 77) -> str:
    with transaction(panel.engine) as session:
        return session.get(InboundUpdate, update_id).status


async def test_an_admin_sees_a_failed_update_and_tries_it_again(panel) -> None:
    panel.add_coach("root", Role.ADMIN)
    youth = panel.add_youth(name="Aino")
    failed_update(panel, youth.chat_id)
    admin = await panel.signed_in("root")
    assert 'href="/updates"' in (await admin.get("/")).text
    page = await admin.get("/updates")
    assert page.status_code == 200
    assert "Aino" in page.text and "message" in page.text and "OperationalError" in page.text
    assert SECRET_WORDS not in page.text

    response = await admin.post("/updates/77/retry")
    assert response.status_code == 303
    assert status_of(panel) == UpdateStatus.PENDING
    assert panel.audit("update.retried")
    assert "No failed updates" in (await admin.get("/updates")).text


async def test_a_coach_finds_no_failed_updates_and_a_forged_retry_changes_nothing(panel) -> None:
    panel.add_coach("root", Role.ADMIN)
    panel.add_coach("anna")
    failed_update(panel, panel.add_youth().chat_id)
    coach = await panel.signed_in("anna")
    assert (await coach.get("/updates")).status_code == 404
    assert (await coach.post("/updates/77/retry")).status_code == 404
    admin = await panel.signed_in("root")
    forged = await admin.http.post("/updates/77/retry", data={"csrf_token": "x" * 43})
    assert forged.status_code == 403
    assert (await admin.post("/updates/78/retry")).status_code == 404  # no such failed update
    assert status_of(panel) == UpdateStatus.FAILED
