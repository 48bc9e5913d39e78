"""Signing in and out, lockout, expired sessions and CSRF, as a coach meets them."""

from __future__ import annotations

import asyncio

import httpx

from admin.app import create_web_app
from core.services.panel_sessions import LOCK_AFTER
from core.services.sign_in_limits import ADDRESS_LIMIT, address_key
from core.settings import Settings
from tests.admin.conftest import CSRF, PASSWORD, csrf_of, sign_in


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
    statuses = sorted(a.status_code for a in answers)
    # One address: ADDRESS_LIMIT tries are taken (401), the rest refused as too many (429).
    assert statuses == [401] * ADDRESS_LIMIT + [429] * (30 - ADDRESS_LIMIT)
    checked = len(panel.audit("panel.sign_in_failed")) + len(panel.audit("panel.locked"))
    assert checked == LOCK_AFTER  # the other 25 were refused before any password check
    assert (await guess(PASSWORD)).status_code in (401, 429)


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


async def try_sign_in(client, login: str, password: str):
    """One try through the sign-in form, as a browser sends it."""
    page = await client.get("/login")
    return await client.post(
        "/login", data={"login": login, "password": password, "csrf_token": csrf_of(page.text)}
    )


async def test_wrong_passwords_from_one_address_do_not_lock_the_coach_out_elsewhere(panel) -> None:
    panel.add_coach("anna")
    attacker = panel.client(address="198.51.100.7")
    for _ in range(LOCK_AFTER):
        assert (await try_sign_in(attacker, "anna", "nope")).status_code == 401
    assert (await try_sign_in(attacker, "anna", PASSWORD)).status_code == 401  # locked there
    at_school = await sign_in(panel.client(address="192.0.2.10"), "anna", PASSWORD)
    assert "Inbox" in (await at_school.get("/")).text


async def test_one_address_cannot_guess_across_many_logins(panel) -> None:
    panel.add_coach("anna")
    guesser = panel.client(address="198.51.100.7")
    for i in range(ADDRESS_LIMIT):
        assert (await try_sign_in(guesser, f"nobody{i}", "guess")).status_code == 401
    # Every further try from there is refused at once, without a password check, whether the
    # login exists or not, and the answer does not tell which.
    unknown = await try_sign_in(guesser, "nobody-else", "guess")
    known = await try_sign_in(guesser, "anna", PASSWORD)
    assert unknown.status_code == known.status_code == 429
    assert unknown.headers["retry-after"] == known.headers["retry-after"] == "900"
    assert "Too many wrong tries from this network" in known.text
    assert CSRF.sub("", unknown.text) == CSRF.sub("", known.text)
    assert len(panel.audit("panel.sign_in_failed")) == ADDRESS_LIMIT  # one hash each, no more
    assert len(panel.audit("panel.sign_in_throttled")) == 2
    assert await sign_in(panel.client(address="192.0.2.10"), "anna", PASSWORD)  # elsewhere: fine
    panel.clock.advance(minutes=16)
    assert await sign_in(guesser, "anna", PASSWORD)


async def test_signing_in_right_uses_up_nothing_so_one_office_address_is_never_refused(
    panel,
) -> None:
    panel.add_coach("anna")
    office = panel.client(address="192.0.2.10")
    assert (await try_sign_in(office, "anna", "typo")).status_code == 401
    for _ in range(ADDRESS_LIMIT):
        assert (await try_sign_in(office, "anna", PASSWORD)).status_code == 303


async def test_behind_a_trusted_proxy_the_address_it_saw_is_counted(panel) -> None:
    panel.add_coach("anna")
    proxied = create_web_app(
        engine=panel.engine,
        settings=Settings(_env_file=None, POLKU_PANEL_LANGUAGE="en", POLKU_TRUSTED_PROXY="1"),
        clock=panel.clock,
    )
    proxy = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=proxied, client=("10.0.0.2", 50000)),  # type: ignore[arg-type]
        base_url="http://panel.test",
    )
    # The client wrote the first address itself; the proxy appended the one it saw.
    attacker = {"X-Forwarded-For": "192.0.2.10, 198.51.100.7"}
    for _ in range(LOCK_AFTER):
        page = await proxy.get("/login")
        await proxy.post(
            "/login",
            data={"login": "anna", "password": "nope", "csrf_token": csrf_of(page.text)},
            headers=attacker,
        )
    page = await proxy.get("/login")
    coach = await proxy.post(
        "/login",
        data={"login": "anna", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        headers={"X-Forwarded-For": "192.0.2.10"},
    )
    assert coach.status_code == 303  # the coach at 192.0.2.10 was never the one locked
    # Without the setting the header is ignored: everyone behind it is the proxy's address.
    direct = panel.client(address="10.0.0.2")
    for _ in range(LOCK_AFTER):
        await try_sign_in(direct, "anna", "nope")
    other = panel.client(address="10.0.0.2")
    page = await other.get("/login")
    refused = await other.post(
        "/login",
        data={"login": "anna", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        headers={"X-Forwarded-For": "192.0.2.99"},
    )
    assert refused.status_code == 401


def test_an_ipv6_client_is_counted_by_its_network() -> None:
    assert address_key("2001:db8:1:2::5") == address_key("2001:db8:1:2:ffff::1")
    assert address_key("2001:db8:1:3::5") != address_key("2001:db8:1:2::5")
    assert address_key("::ffff:192.0.2.1") == "192.0.2.1"
