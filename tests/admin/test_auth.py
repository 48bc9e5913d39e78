"""Signing in and out, lockout, expired sessions and CSRF, as a coach meets them."""

from __future__ import annotations

import asyncio

from core.services.panel_sessions import LOCK_AFTER
from tests.admin.conftest import PASSWORD, csrf_of


async def test_sign_in_with_the_right_password_opens_the_inbox(panel) -> None:
    panel.add_coach("anna", name="Anna Coach")
    coach = await panel.signed_in("anna")
    inbox = await coach.get("/")
    assert inbox.status_code == 200
    assert "Anna Coach" in inbox.text and "Inbox" in inbox.text
    cookie = coach.http.cookies.jar
    session_cookie = next(c for c in cookie if c.name == "polku_session")
    assert session_cookie.has_nonstandard_attr("HttpOnly")
    assert PASSWORD not in str([e.detail for e in panel.audit("panel.sign_in")])


async def test_a_wrong_password_is_refused_kindly(panel) -> None:
    panel.add_coach("anna")
    client = panel.client()
    page = await client.get("/login")
    response = await client.post(
        "/login", data={"login": "anna", "password": "nope", "csrf_token": csrf_of(page.text)}
    )
    assert response.status_code == 401
    assert "Wrong login or password" in response.text
    assert (await client.get("/")).headers["location"].startswith("/login")


async def test_repeated_failures_lock_the_account_for_a_while(panel) -> None:
    panel.add_coach("anna")
    client = panel.client()
    for _ in range(LOCK_AFTER):
        page = await client.get("/login")
        last = await client.post(
            "/login", data={"login": "anna", "password": "nope", "csrf_token": csrf_of(page.text)}
        )
    assert "wait 15 minutes" in last.text
    page = await client.get("/login")
    right = await client.post(
        "/login", data={"login": "anna", "password": PASSWORD, "csrf_token": csrf_of(page.text)}
    )
    assert right.status_code == 401  # the right password, but the account waits
    page = await client.get("/login")
    unknown = await client.post(
        "/login", data={"login": "nobody", "password": "x", "csrf_token": csrf_of(page.text)}
    )
    assert unknown.text.count("wait 15 minutes") == right.text.count("wait 15 minutes") == 1
    panel.clock.advance(minutes=16)
    assert (await panel.signed_in("anna")).csrf
    assert panel.audit("panel.locked")


async def test_sign_in_without_the_forms_token_is_refused(panel) -> None:
    panel.add_coach("anna")
    client = panel.client()
    await client.get("/login")
    forged = await client.post(
        "/login", data={"login": "anna", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert forged.status_code == 403 and "expired" in forged.text


async def test_an_idle_session_ends_and_says_so(panel) -> None:
    panel.add_coach("anna")
    coach = await panel.signed_in("anna")
    panel.clock.advance(hours=3)
    response = await coach.get("/")
    assert response.status_code == 303
    page = await coach.get(response.headers["location"])
    assert "Your session ended" in page.text
    poll = await coach.get("/inbox/rows", headers={"HX-Request": "true"})
    assert poll.status_code == 401 and poll.headers["HX-Redirect"].startswith("/login")


async def test_a_first_visit_gets_a_plain_sign_in_page(panel) -> None:
    browser = panel.client()  # never signed in: no session cookie at all
    response = await browser.get("/youth")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    page = await browser.get(response.headers["location"])
    assert "Sign in to Polku" in page.text and "Your session ended" not in page.text
    poll = await browser.get("/inbox/rows", headers={"HX-Request": "true"})
    assert poll.status_code == 401 and poll.headers["HX-Redirect"] == "/login"


async def test_session_ended_is_said_once_then_the_page_is_plain_again(panel) -> None:
    panel.add_coach("anna")
    coach = await panel.signed_in("anna")
    panel.clock.advance(hours=3)
    ended = await coach.get("/")
    assert ended.headers["location"] == "/login?ended=1"
    assert "Your session ended" in (await coach.get(ended.headers["location"])).text
    later = await coach.get("/")  # the dead cookie went with the first redirect
    assert later.headers["location"] == "/login"
    assert "Your session ended" not in (await coach.get("/login")).text


async def test_a_forged_cookie_is_treated_as_an_ended_session(panel) -> None:
    browser = panel.client()
    browser.cookies.set("polku_session", "made-up", domain="panel.test")
    response = await browser.get("/")
    assert response.headers["location"] == "/login?ended=1"


async def test_sign_out_ends_the_session(panel) -> None:
    panel.add_coach("anna")
    coach = await panel.signed_in("anna")
    assert (await coach.post("/logout")).headers["location"] == "/login"
    assert (await coach.get("/")).status_code == 303


async def test_a_form_without_or_with_a_forged_csrf_token_changes_nothing(panel) -> None:
    anna = panel.add_coach("anna")
    youth = panel.add_youth(anna)
    coach = await panel.signed_in("anna")
    missing = await coach.http.post(f"/youth/{youth.id}/reply", data={"text": "hi"})
    forged = await coach.http.post(
        f"/youth/{youth.id}/reply", data={"text": "hi", "csrf_token": "x" * 43}
    )
    header = await coach.http.post(
        f"/youth/{youth.id}/reply", data={"text": "hi"}, headers={"X-CSRF-Token": "wrong"}
    )
    assert [r.status_code for r in (missing, forged, header)] == [403, 403, 403]
    assert "Nothing was saved" in forged.text
    chat = await coach.get(f"/youth/{youth.id}/chat")
    assert "sending…" not in chat.text


async def test_pages_carry_protective_headers(panel) -> None:
    response = await panel.client().get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"


async def test_thirty_guesses_at_once_are_not_all_checked_and_the_right_one_after_is_refused(
    panel,
) -> None:
    panel.add_coach("anna")

    async def guess(password: str):
        fresh = panel.client()  # thirty browsers at once, each with its own sign-in form
        page = await fresh.get("/login")
        return await fresh.post(
            "/login", data={"login": "anna", "password": password, "csrf_token": csrf_of(page.text)}
        )

    answers = await asyncio.gather(*(guess(f"guess-{i}") for i in range(30)))
    assert {a.status_code for a in answers} == {401}
    checked = len(panel.audit("panel.sign_in_failed")) + len(panel.audit("panel.locked"))
    assert checked == LOCK_AFTER  # the other 25 were refused before any password check
    assert (await guess(PASSWORD)).status_code == 401


async def test_every_page_forbids_inline_scripts_caching_and_framing(panel) -> None:
    panel.add_coach("anna")
    coach = await panel.signed_in("anna")
    for path in ("/", "/youth", "/notifications", "/invite"):
        page = await coach.get(path)
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
        assert page.headers["cache-control"] == "no-store"
        assert "<script>" not in page.text and " on" + "click=" not in page.text
    login = await panel.client().get("/login")
    assert login.headers["cache-control"] == "no-store"
