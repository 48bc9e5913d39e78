"""Coach accounts in the panel, as an admin meets them: create, deactivate (after a
confirmation page) and reactivate, reset a password, office hours; and as a plain coach: none
of it exists."""

from __future__ import annotations

from sqlmodel import select

from core.db import transaction
from core.models import Coach, PanelSession, Role, Youth
from core.services.coaches import check_password
from core.services.youth import do_assign_youth
from tests.admin.conftest import PASSWORD, csrf_of

NEW_PASSWORD = "a new long password"


def _coach(panel, login: str) -> Coach:
    with transaction(panel.engine) as session:
        return session.exec(select(Coach).where(Coach.login == login)).one()


def _accounts(panel) -> list[dict[str, object]]:
    with transaction(panel.engine) as session:
        return [c.model_dump() for c in session.exec(select(Coach).order_by(Coach.id))]


async def _sign_in_fails(panel, login: str, password: str) -> bool:
    client = panel.client()
    page = await client.get("/login")
    response = await client.post(
        "/login", data={"login": login, "password": password, "csrf_token": csrf_of(page.text)}
    )
    return response.status_code == 401


async def test_a_plain_coach_finds_no_coach_pages(panel) -> None:
    anna = panel.add_coach("anna")
    ben = panel.add_coach("ben")
    before = _accounts(panel)
    coach = await panel.signed_in("anna")
    assert "/coaches" not in (await coach.get("/")).text
    responses = [
        await coach.get("/coaches"),
        await coach.post(
            "/coaches", {"login": "eve", "display_name": "Eve", "password": NEW_PASSWORD}
        ),
        await coach.post(f"/coaches/{ben.id}/deactivate"),
        await coach.post(f"/coaches/{ben.id}/password", {"password": NEW_PASSWORD}),
        await coach.post(f"/coaches/{anna.id}/hours", {"days": "5", "start": "8", "end": "9"}),
        await coach.get(f"/coaches/{ben.id}/deactivate"),
        await coach.post(f"/coaches/{ben.id}/reactivate"),
    ]
    assert [r.status_code for r in responses] == [404] * 7
    assert _accounts(panel) == before


async def test_an_admin_creates_a_coach_who_can_then_sign_in(panel) -> None:
    root = panel.add_coach("root", Role.ADMIN)
    admin = await panel.signed_in("root")
    page = await admin.get("/coaches")
    assert page.status_code == 200 and "New coach" in page.text
    created = await admin.post(
        "/coaches",
        {"login": "Mia", "display_name": "Mia M", "password": NEW_PASSWORD, "role": "coach"},
    )
    assert created.status_code == 303
    page = await admin.get("/coaches")
    assert "Mia M" in page.text and "mia" in page.text and "on weekdays 9–16" in page.text
    assert await panel.signed_in("mia", NEW_PASSWORD)
    event = panel.audit("coach.create")[-1]
    assert event.coach_id == root.id and event.detail == f"coach {_coach(panel, 'mia').id}, coach"
    assert NEW_PASSWORD not in str([e.detail for e in panel.audit("coach.create")])


async def test_a_coach_that_would_not_do_is_refused_and_nothing_is_saved(panel) -> None:
    panel.add_coach("root", Role.ADMIN)
    panel.add_coach("anna")
    admin = await panel.signed_in("root")
    before = _accounts(panel)
    short = await admin.post(
        "/coaches", {"login": "mia", "display_name": "Mia M", "password": "short"}
    )
    assert short.status_code == 422
    assert "Nothing was saved" in short.text and "at least 10 characters" in short.text
    assert 'value="Mia M"' in short.text and "short" not in short.text.split("New coach")[1]
    taken = await admin.post(
        "/coaches", {"login": "anna", "display_name": "Anna 2", "password": NEW_PASSWORD}
    )
    assert taken.status_code == 422 and "is taken" in taken.text
    assert _accounts(panel) == before


async def test_a_deactivated_coach_is_signed_out_and_cannot_sign_in(panel) -> None:
    root = panel.add_coach("root", Role.ADMIN)
    ben = panel.add_coach("ben", name="Ben L")
    aino = panel.add_youth(ben, "Aino")
    bens_browser = await panel.signed_in("ben")
    admin = await panel.signed_in("root")
    done = await admin.post(f"/coaches/{ben.id}/deactivate")
    assert done.status_code == 303
    assert (await bens_browser.get("/")).headers["location"].startswith("/login")
    assert await _sign_in_fails(panel, "ben", PASSWORD)
    with transaction(panel.engine) as session:
        assert session.exec(select(PanelSession).where(PanelSession.coach_id == ben.id)).all() == []
    page = await admin.get("/coaches")
    bens = page.text.split("Ben L")[1].split("</details>")[0]
    assert "deactivated" in bens and f'href="/youth/{aino.id}"' in bens
    assert [e.detail for e in panel.audit("coach.deactivate")] == [f"coach {ben.id}"]
    youth_list = await admin.get("/youth")
    assert "deactivated: reassign" in youth_list.text
    own = await admin.post(f"/coaches/{root.id}/deactivate")
    assert own.status_code == 422 and "your own account" in own.text
    assert _coach(panel, "root").active


async def test_deactivating_asks_first_and_says_what_happens(panel) -> None:
    panel.add_coach("root", Role.ADMIN)
    ben = panel.add_coach("ben", name="Ben L")
    aino = panel.add_youth(ben, "Aino")
    bens_browser = await panel.signed_in("ben")
    admin = await panel.signed_in("root")
    page = await admin.get("/coaches")
    assert f'action="/coaches/{ben.id}/deactivate"' not in page.text  # no one-tap button
    assert f'href="/coaches/{ben.id}/deactivate"' in page.text
    confirm = await admin.get(f"/coaches/{ben.id}/deactivate")
    assert confirm.status_code == 200
    assert "Deactivate Ben L?" in confirm.text
    assert "Ben L is signed out at once and can no longer sign in." in confirm.text
    assert "stay linked to them until you give them to another coach" in confirm.text
    assert f'href="/youth/{aino.id}">Aino</a>' in confirm.text
    assert f'action="/coaches/{ben.id}/deactivate"' in confirm.text
    assert 'href="/coaches#coach-' in confirm.text  # Cancel goes back
    assert _coach(panel, "ben").active and (await bens_browser.get("/")).status_code == 200
    assert panel.audit("coach.deactivate") == []
    await admin.post(f"/coaches/{ben.id}/deactivate")
    assert not _coach(panel, "ben").active
    again = await admin.get(f"/coaches/{ben.id}/deactivate")  # already closed: back to the list
    assert again.status_code == 303


async def test_an_admin_reactivates_a_coach_who_gets_back_who_is_still_theirs(panel) -> None:
    root = panel.add_coach("root", Role.ADMIN)
    ben = panel.add_coach("ben", name="Ben L")
    cleo = panel.add_coach("cleo", name="Cleo")
    aino, eetu = panel.add_youth(ben, "Aino"), panel.add_youth(ben, "Eetu")
    admin = await panel.signed_in("root")
    await admin.post(f"/coaches/{ben.id}/deactivate")
    with transaction(panel.engine) as session:
        do_assign_youth(session, by=root, youth=session.get(Youth, eetu.id), coach=cleo)
    page = await admin.get("/coaches")
    bens = page.text.split("Ben L")[1].split("</details>")[0]
    assert f'action="/coaches/{ben.id}/reactivate"' in bens
    assert "They can sign in again with their old password." in bens
    done = await admin.post(f"/coaches/{ben.id}/reactivate")
    assert done.status_code == 303
    assert _coach(panel, "ben").active
    ben_again = await panel.signed_in("ben")
    youth_page = await ben_again.get("/youth")
    assert "Aino" in youth_page.text and "Eetu" not in youth_page.text
    with transaction(panel.engine) as session:
        assert session.get(Youth, aino.id).coach_id == ben.id
        assert session.get(Youth, eetu.id).coach_id == cleo.id
    assert [(e.coach_id, e.detail) for e in panel.audit("coach.reactivate")] == [
        (root.id, f"coach {ben.id}")
    ]
    await admin.post(f"/coaches/{ben.id}/reactivate")  # already open: nothing more happens
    assert len(panel.audit("coach.reactivate")) == 1


async def test_a_password_reset_ends_the_coachs_sessions(panel) -> None:
    panel.add_coach("root", Role.ADMIN)
    ben = panel.add_coach("ben")
    bens_browser = await panel.signed_in("ben")
    admin = await panel.signed_in("root")
    too_short = await admin.post(f"/coaches/{ben.id}/password", {"password": "short"})
    assert too_short.status_code == 422 and check_password(_coach(panel, "ben"), PASSWORD)
    assert (await bens_browser.get("/")).status_code == 200
    reset = await admin.post(f"/coaches/{ben.id}/password", {"password": NEW_PASSWORD})
    assert reset.status_code == 303
    assert (await bens_browser.get("/")).headers["location"].startswith("/login")
    assert await _sign_in_fails(panel, "ben", PASSWORD)
    assert await panel.signed_in("ben", NEW_PASSWORD)
    assert NEW_PASSWORD not in str([e.detail for e in panel.audit("coach.password_reset")])


async def test_office_hours_are_saved_and_shown(panel) -> None:
    panel.add_coach("root", Role.ADMIN)
    ben = panel.add_coach("ben", name="Ben L")
    admin = await panel.signed_in("root")
    saved = await admin.http.post(
        f"/coaches/{ben.id}/hours",
        data={"csrf_token": admin.csrf, "days": ["0", "2"], "start": "10:00", "end": "14:30"},
    )
    assert saved.status_code == 303
    assert _coach(panel, "ben").office_hours == {"days": [0, 2], "start": "10:00", "end": "14:30"}
    page = await admin.get("/coaches")
    assert "on Mon, Wed 10–14.30" in page.text
    for form, reason in (
        ({"start": "10:00", "end": "14:00"}, "choose at least one day"),
        ({"days": "1", "start": "15:00", "end": "09:00"}, "the end must be after the start"),
        ({"days": "1", "start": "ten", "end": "14:00"}, "use HH:MM"),
    ):
        refused = await admin.post(f"/coaches/{ben.id}/hours", form)
        assert refused.status_code == 422 and reason in refused.text
    assert _coach(panel, "ben").office_hours["days"] == [0, 2]
    assert len(panel.audit("coach.office_hours")) == 1


async def test_coach_forms_without_the_token_change_nothing(panel) -> None:
    panel.add_coach("root", Role.ADMIN)
    ben = panel.add_coach("ben")
    admin = await panel.signed_in("root")
    before = _accounts(panel)
    posts = [
        ("/coaches", {"login": "mia", "display_name": "Mia", "password": NEW_PASSWORD}),
        (f"/coaches/{ben.id}/deactivate", {}),
        (f"/coaches/{ben.id}/reactivate", {}),
        (f"/coaches/{ben.id}/password", {"password": NEW_PASSWORD}),
        (f"/coaches/{ben.id}/hours", {"days": "6", "start": "08:00", "end": "09:00"}),
    ]
    for url, form in posts:
        missing = await admin.http.post(url, data=form)
        forged = await admin.http.post(url, data={**form, "csrf_token": "x" * 43})
        assert (missing.status_code, forged.status_code) == (403, 403), url
    assert _accounts(panel) == before
    assert (await panel.signed_in("ben")).csrf
