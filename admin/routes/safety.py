"""The crisis resources and phrase lists as the bot uses them, for admins: what the young
person is offered, and when someone last checked the numbers and opening hours."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from admin.web import CurrentViewer, panel_of, render, require_admin
from core.crisis import PHRASES_DIR, load_phrase_files
from core.crisis_resources import RESOURCES_DIR, load_resources

router = APIRouter()
CHECK_AGAIN_AFTER = timedelta(days=180)


@router.get("/safety")
def safety_page(request: Request, viewer: CurrentViewer) -> Response:
    """Resources per language with their last-checked date; the phrase lists' sizes."""
    require_admin(viewer)
    today = panel_of(request).clock().date()
    lists = load_resources()
    phrase_files = load_phrase_files()
    return render(
        request,
        "safety.html",
        viewer,
        lists=[lists[language] for language in ("fi", "sv", "en")],
        overdue={code: today - r.checked > CHECK_AGAIN_AFTER for code, r in lists.items()},
        phrase_files=phrase_files,
        resources_dir=RESOURCES_DIR.relative_to(RESOURCES_DIR.parent.parent),
        phrases_dir=PHRASES_DIR.relative_to(PHRASES_DIR.parent.parent),
    )
