"""Two-step sign-in as a coach and an admin meet it: setting it up with the app, signing in
with a code or a recovery code, codes that do not work twice, the admin's requirement and
reset. The app is pyotp on the panel's clock."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyotp

from core.models import Role
from core.services.panel_sessions import LOCK_AFTER
from tests.admin.conftest import PASSWORD, SignedInClient, csrf_of, sign_in

SECRET = re.compile(r'id="secret">([A-Z2-7 ]+)<')
RECOVERY = re.compile(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>")


@dataclass
class Phone:
    """The coach's authenticator app."""

    secret: str
    panel: object

    def code(self) -> str:
        return pyotp.TOTP(self.secret).at(self.panel.clock.now)  # type: ignore[attr-defined]


async def set_up(panel, coach: SignedInClient) -> tuple[Phone, list[str]]:
    """Turn two-step sign-in on from the page; return the app and the recovery codes shown."""
    await coach.post("/two-step/start")
    page = await coach.get("/two-step")
    found = SECRET.search(page.text)
    assert found and '<div class="qr"><svg' in page.text
    phone = Phone(found.group(1).replace(" ", ""), panel)
    done = await coach.post("/two-step/confirm", data={"code": phone.code()})
    assert done.status_code == 200 and "Two-step sign-in is on." in done.text
    return phone, RECOVERY.findall(done.text)


async def password_step(client, login: str = "anna", password: str = PASSWORD):
    page = await client.get("/login")
    return await client.post(
        "/login", data={"login": login, "password": password, "csrf_token": csrf_of(page.text)}
    )


async def code_step(client, code: str):
    page = await client.get("/login/code")
    return await client.post("/login/code", data={"code": code, "csrf_token": csrf_of(page.text)})


async def test_setting_it_up_needs_a_right_code_from_the_app(panel) -> None:
    panel.add_coach("anna")
    coach = await panel.signed_in("anna")
    settings = await coach.get("/notifications")
    assert 'href="/two-step"' in settings.text
    await coach.post("/two-step/start")
    page = await coach.get("/two-step")
    phone = Phone(SECRET.search(page.text).group(1).replace(" ", ""), panel)  # type: ignore[union-attr]
    wrong = await coach.post("/two-step/confirm", data={"code": "000000"})
    assert wrong.status_code == 422 and "That code did not match" in wrong.text
    assert "Two-step sign-in is on." not in (await coach.get("/two-step")).text
    right = await coach.post("/two-step/confirm", data={"code": phone.code()})
    assert "Two-step sign-in is on." in right.text
    codes = RECOVERY.findall(right.text)
    assert len(set(codes)) == 10
    later = await coach.get("/two-step")
    assert "Recovery codes left: 10" in later.text
    assert not RECOVERY.findall(later.text)  # shown once only
    details = " ".join(e.detail or "" for e in panel.audit("two_step.on"))
    assert phone.secret not in details and panel.audit("two_step.on")


async def test_signing_in_asks_for_the_code_after_the_password(panel) -> None:
    panel.add_coach("anna", name="Anna Coach")
    phone, _codes = await set_up(panel, await panel.signed_in("anna"))
    panel.clock.advance(seconds=30)
    browser = panel.client()
    first = await password_step(browser)
    assert first.status_code == 303 and first.headers["location"] == "/login/code"
    assert (await browser.get("/")).headers["location"].startswith("/login")  # no session yet
    assert "6-digit code" in (await browser.get("/login/code")).text
    done = await code_step(browser, phone.code())
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert "Anna Coach" in (await browser.get("/")).text
    assert [e.detail for e in panel.audit("panel.sign_in")][-1] == "app"


async def test_a_wrong_code_is_refused_and_counts_toward_the_lock(panel) -> None:
    panel.add_coach("anna")
    phone, _codes = await set_up(panel, await panel.signed_in("anna"))
    panel.clock.advance(seconds=30)
    browser = panel.client()
    await password_step(browser)  # the right password is the first try of five
    for _ in range(LOCK_AFTER - 2):
        wrong = await code_step(browser, "123456")
        assert wrong.status_code == 401 and "That code did not work" in wrong.text
    locked = await code_step(browser, "654321")  # the fifth failed try: start again, later
    assert locked.status_code == 401 and "Sign in to Polku" in locked.text
    assert len(panel.audit("panel.code_failed")) == LOCK_AFTER - 2 and panel.audit("panel.locked")
    assert (await browser.get("/login/code")).headers["location"] == "/login?ended=1"
    assert (await password_step(browser)).status_code == 401  # locked from this address
    elsewhere = panel.client(address="192.0.2.10")
    assert await sign_in(elsewhere, "anna", PASSWORD, phone.code())


async def test_a_code_works_once(panel) -> None:
    panel.add_coach("anna")
    phone, _codes = await set_up(panel, await panel.signed_in("anna"))
    panel.clock.advance(seconds=30)
    code = phone.code()
    assert await sign_in(panel.client(), "anna", PASSWORD, code)
    again = panel.client()
    await password_step(again)
    replayed = await code_step(again, code)
    assert replayed.status_code == 401 and "That code did not work" in replayed.text
    panel.clock.advance(seconds=30)  # the app's next code
    assert (await code_step(again, phone.code())).status_code == 303


async def test_a_code_a_step_off_still_works(panel) -> None:
    panel.add_coach("anna")
    phone, _codes = await set_up(panel, await panel.signed_in("anna"))
    panel.clock.advance(minutes=1)
    slow_phone = pyotp.TOTP(phone.secret).at(panel.clock.now, counter_offset=-1)
    assert await sign_in(panel.client(), "anna", PASSWORD, slow_phone)
    panel.clock.advance(minutes=1)
    far_off = pyotp.TOTP(phone.secret).at(panel.clock.now, counter_offset=3)
    browser = panel.client()
    await password_step(browser)
    assert (await code_step(browser, far_off)).status_code == 401


async def test_a_recovery_code_works_once(panel) -> None:
    panel.add_coach("anna")
    _phone, codes = await set_up(panel, await panel.signed_in("anna"))
    typed = codes[3].upper().replace("-", " ")  # typed as read off the paper
    coach = await sign_in(panel.client(), "anna", PASSWORD, typed)
    assert "Recovery codes left: 9" in (await coach.get("/two-step")).text
    browser = panel.client()
    await password_step(browser)
    assert (await code_step(browser, codes[3])).status_code == 401
    assert [e.detail for e in panel.audit("panel.sign_in")][-1] == "recovery code"


async def test_the_code_page_waits_five_minutes(panel) -> None:
    panel.add_coach("anna")
    phone, _codes = await set_up(panel, await panel.signed_in("anna"))
    browser = panel.client()
    await password_step(browser)
    page = await browser.get("/login/code")
    panel.clock.advance(minutes=6)  # the coach went for coffee with the code page open
    late = await browser.post(
        "/login/code", data={"code": phone.code(), "csrf_token": csrf_of(page.text)}
    )
    assert late.status_code == 303 and late.headers["location"] == "/login?ended=1"
    assert (await browser.get("/login/code")).headers["location"] == "/login?ended=1"


async def test_new_recovery_codes_and_turning_off_need_the_password_or_a_code(panel) -> None:
    panel.add_coach("anna")
    coach = await panel.signed_in("anna")
    phone, old = await set_up(panel, coach)
    refused = await coach.post("/two-step/off", data={"proof": "not my password"})
    assert refused.status_code == 422 and "not your password" in refused.text
    panel.clock.advance(seconds=30)
    fresh = await coach.post("/two-step/recovery-codes", data={"proof": phone.code()})
    new = RECOVERY.findall(fresh.text)
    assert len(new) == 10 and not set(new) & set(old)
    assert (await coach.post("/two-step/off", data={"proof": PASSWORD})).status_code == 303
    assert "Set up two-step sign-in" in (await coach.get("/two-step")).text
    assert await sign_in(panel.client(), "anna", PASSWORD)  # the password alone again
    assert panel.audit("two_step.off") and panel.audit("two_step.proof_failed")


async def test_when_required_a_coach_sets_it_up_before_anything_else(panel) -> None:
    panel.add_coach("boss", role=Role.ADMIN)
    panel.add_coach("anna")
    admin = await panel.signed_in("boss")
    assert "Require two-step sign-in for everyone" in (await admin.get("/coaches")).text
    await admin.post("/coaches/two-step-required", data={"on": "1"})
    assert panel.audit("two_step.required")

    browser = panel.client()
    await password_step(browser)
    for path in ("/", "/youth", "/notifications"):
        assert (await browser.get(path)).headers["location"] == "/two-step"
    poll = await browser.get("/inbox/rows", headers={"HX-Request": "true"})
    assert poll.headers["HX-Redirect"] == "/two-step"
    page = await browser.get("/two-step")
    assert "requires two-step sign-in" in page.text and 'href="/youth"' not in page.text
    coach = SignedInClient(browser, csrf_of(page.text))
    phone, _codes = await set_up(panel, coach)
    assert (await browser.get("/")).status_code == 200
    cannot = await coach.post("/two-step/off", data={"proof": PASSWORD})
    assert cannot.status_code == 422 and "required for everyone" in cannot.text
    assert phone.secret not in " ".join(e.detail or "" for e in panel.audit("two_step.on"))


async def test_an_admin_resets_a_lost_phone(panel) -> None:
    boss = panel.add_coach("boss", role=Role.ADMIN)
    anna = panel.add_coach("anna")
    await set_up(panel, await panel.signed_in("anna"))
    panel.add_coach("ben")
    ben = await panel.signed_in("ben")
    assert (await ben.post(f"/coaches/{anna.id}/two-step/reset")).status_code == 404
    admin = await panel.signed_in("boss")
    assert "two-step on" in (await admin.get("/coaches")).text
    await admin.post(f"/coaches/{anna.id}/two-step/reset")
    reset = panel.audit("coach.two_step_reset")
    assert [(e.coach_id, e.detail) for e in reset] == [(boss.id, f"coach {anna.id}")]
    assert await sign_in(panel.client(), "anna", PASSWORD)  # the password alone, then set up
