"""The audit trail in words: each action code as a sentence in the panel's language.

A sentence names people by placeholder — %(coach)s the coach who acted (or was acted for),
%(youth)s the young person, %(target)s the coach an admin's change was about — so a
translation may put them where its grammar wants. Names stay in the form they are written
(Finnish sentences are built so that no name needs a case ending). A key "actor:action" is
for the rare code that two kinds of actor write. tests/admin/test_audit_words.py finds every
code written with do_audit in the source and fails when one has no sentence here.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass

from core.i18n import N_
from core.services.audit import COACH_REF, AuditEntry, coach_ref, coach_refs

SENTENCES: dict[str, str] = {
    # Reading personal data and the trail itself
    "youth.read": N_("%(coach)s opened the page of %(youth)s"),
    "youth.read_chat": N_("%(coach)s opened the chat with %(youth)s"),
    "youth.read_history": N_("%(coach)s looked at the self-assessments of %(youth)s"),
    "media.read": N_("%(coach)s opened a photo or recording from %(youth)s"),
    "audit.read": N_("%(coach)s read the audit trail"),
    "report.export": N_("%(coach)s downloaded the impact report's figures"),
    "system:report.export": N_("The impact report's figures were exported on the server"),
    "access.denied": N_("%(coach)s was refused a page that is not theirs to see"),
    # A coach and a young person
    "message.reply": N_("%(coach)s sent a message to %(youth)s"),
    "message.resend": N_("%(coach)s sent a failed message to %(youth)s again"),
    "talk.hand_back": N_("%(coach)s handed %(youth)s back to the bot"),
    "talk.handled": N_("%(coach)s marked the chat with %(youth)s handled"),
    "youth.take": N_("%(coach)s took %(youth)s from the shared queue"),
    "youth.assign": N_("%(coach)s changed the coach of %(youth)s"),
    "youth.under_18": N_("%(coach)s noted whether %(youth)s is under 18"),
    "youth.group": N_("%(coach)s set the group of %(youth)s"),
    "path.record": N_("%(coach)s recorded the path status of %(youth)s"),
    "checkin.pause": N_("%(coach)s paused the check-ins of %(youth)s"),
    "checkin.resume": N_("%(coach)s resumed the check-ins of %(youth)s"),
    "checkin.stop": N_("%(coach)s stopped the check-ins of %(youth)s"),
    "checkin.add": N_("%(coach)s added a check-in for %(youth)s"),
    "portfolio.confirm": N_("%(coach)s confirmed a portfolio entry of %(youth)s"),
    "note.add": N_("%(coach)s wrote a note about %(youth)s"),
    "note.delete": N_("%(coach)s deleted a note about %(youth)s"),
    "saved_reply.add": N_("%(coach)s saved a reply for later"),
    "saved_reply.delete": N_("%(coach)s deleted a saved reply"),
    "appointment.book": N_("%(coach)s booked an appointment for %(youth)s"),
    "system:appointment.book": N_("An appointment was booked for %(youth)s"),
    "appointment.move": N_("%(coach)s moved an appointment of %(youth)s"),
    "appointment.cancel": N_("%(coach)s cancelled an appointment of %(youth)s"),
    "invite.create": N_("%(coach)s made an invite link"),
    # What a young person did
    "invite.redeem": N_("%(youth)s joined with an invite from %(coach)s"),
    "consent.given": N_("%(youth)s agreed to keep their answers"),
    "consent.declined": N_("%(youth)s did not agree to keep their answers"),
    "talk.open": N_("%(youth)s asked to talk with a coach"),
    "talk.close": N_("%(youth)s ended the chat with the coach"),
    "appointment.coming": N_("%(youth)s said they are coming to an appointment"),
    "appointment.cannot_come": N_("%(youth)s said they cannot come to an appointment"),
    "appointment.new_time_wanted": N_("%(youth)s would like a new time for an appointment"),
    "portfolio.save": N_("%(youth)s saved a portfolio entry"),
    "youth.export": N_("%(youth)s downloaded their own data"),
    "youth.erased": N_("A young person erased their data"),
    "youth.unreachable": N_("%(youth)s blocked the bot"),
    "youth.reachable": N_("%(youth)s can be reached again"),
    # The safety net
    "safety.alert": N_("Polku raised an urgent alert about %(youth)s"),
    "safety.alert_again": N_("Polku added to the open urgent alert about %(youth)s"),
    "safety.alert_escalated": N_("Polku passed the urgent alert about %(youth)s to more coaches"),
    "safety.alert_opened": N_("%(coach)s opened the urgent alert about %(youth)s"),
    "safety.alert_handled": N_("%(coach)s marked the urgent alert about %(youth)s handled"),
    "safety.safe_answer": N_("%(youth)s answered whether they are safe"),
    "safety.check_in": N_("Polku asked %(youth)s how they are doing"),
    "coach.told_unreachable": N_("Polku told the coach that %(youth)s blocked the bot"),
    # Coach accounts (an admin's changes)
    "coach.create": N_("%(coach)s created a coach account for %(target)s"),
    "system:coach.create": N_("A coach account was made for %(coach)s on the server"),
    "coach.deactivate": N_("%(coach)s deactivated the account of %(target)s"),
    "coach.reactivate": N_("%(coach)s reactivated the account of %(target)s"),
    "coach.password_reset": N_("%(coach)s set a new password for %(target)s"),
    "coach.office_hours": N_("%(coach)s changed the office hours of %(target)s"),
    "coach.on_call": N_("%(coach)s put %(target)s on call"),
    "coach.off_call": N_("%(coach)s took %(target)s off call"),
    # Signing in, a coach's own notices
    "panel.sign_in": N_("%(coach)s signed in"),
    "panel.sign_out": N_("%(coach)s signed out"),
    "panel.sign_in_failed": N_("%(coach)s gave a wrong password"),
    "panel.sign_in_locked": N_("%(coach)s tried to sign in while locked out"),
    "panel.locked": N_("%(coach)s was locked out for a while after wrong passwords"),
    "panel.sign_in_throttled": N_("Sign-in refused: too many wrong tries from one network"),
    "panel.password_ok": N_("%(coach)s gave the right password; the app code comes next"),
    "panel.code_failed": N_("%(coach)s gave a wrong sign-in code"),
    "panel.code_locked": N_("%(coach)s gave a sign-in code while locked out"),
    "panel.code_throttled": N_("%(coach)s gave a sign-in code from a refused network"),
    "two_step.setup_started": N_("%(coach)s started setting up two-step sign-in"),
    "two_step.on": N_("%(coach)s turned on two-step sign-in"),
    "two_step.off": N_("%(coach)s turned off two-step sign-in"),
    "two_step.new_recovery_codes": N_("%(coach)s made new recovery codes"),
    "two_step.proof_failed": N_("%(coach)s gave a wrong password or code in two-step settings"),
    "two_step.required": N_("%(coach)s required two-step sign-in for everyone"),
    "two_step.not_required": N_("%(coach)s stopped requiring two-step sign-in"),
    "coach.two_step_reset": N_("%(coach)s reset the two-step sign-in of %(target)s"),
    "telegram.link_started": N_("%(coach)s made a link for their Telegram"),
    "telegram.linked": N_("%(coach)s linked their Telegram"),
    "telegram.unlinked": N_("%(coach)s unlinked their Telegram"),
    "notices.telegram_on": N_("%(coach)s switched Telegram notices on"),
    "notices.telegram_off": N_("%(coach)s switched Telegram notices off"),
    "notices.email_on": N_("%(coach)s switched e-mail notices on"),
    "notices.email_off": N_("%(coach)s switched e-mail notices off"),
    "notices.email_set": N_("%(coach)s changed their e-mail for notices"),
    "notices.quiet_time": N_("%(coach)s changed their quiet time"),
    "update.retried": N_("%(coach)s tried a failed update again"),
}
# A code nobody has worded yet still reads as a sentence, with the code in it.
UNKNOWN = N_("%(actor)s: event “%(code)s”")


def sentence_for(actor: str, action: str) -> str | None:
    """The msgid for this code as this actor wrote it, or None when it has none."""
    return SENTENCES.get(f"{actor}:{action}") or SENTENCES.get(action)


@dataclass(frozen=True)
class Worded:
    """One event as the trail shows it."""

    sentence: str
    detail: str


def word(
    entry: AuditEntry, *, coach_names: dict[int, str], translations: gettext.NullTranslations
) -> Worded:
    """The event as a sentence, and its detail with coach numbers turned into names (the
    number the sentence already names is left out)."""
    _ = translations.gettext
    event = entry.event

    def coach_name(coach_id: int | None, missing: str) -> str:
        if coach_id is None:
            return missing
        return coach_names.get(coach_id) or f"#{coach_id}"

    youth = entry.youth_name or (f"#{event.youth_id}" if event.youth_id else _("a young person"))
    coach = coach_name(event.coach_id, "Polku" if event.actor == "system" else _("Someone"))
    refs = coach_refs(event.detail)
    target = coach_name(refs[0] if refs else None, _("a coach"))
    actor = {"youth": youth, "coach": coach}.get(event.actor, "Polku")
    msgid = sentence_for(event.actor, event.action) or UNKNOWN
    values = {"coach": coach, "youth": youth, "target": target, "actor": actor}
    sentence = _(msgid) % {**values, "code": event.action}
    detail = event.detail or ""
    if refs and detail.startswith(coach_ref(refs[0])) and "%(target)s" in msgid:
        detail = detail[len(coach_ref(refs[0])) :].lstrip(",: ")
    detail = COACH_REF.sub(lambda found: coach_name(int(found.group(1)), ""), detail)
    if event.action == "youth.assign":  # "coach 3 -> queue": from whom to whom
        detail = detail.replace(" -> ", " → ").replace("queue", _("the shared queue"))
    return Worded(sentence=sentence, detail=detail)
