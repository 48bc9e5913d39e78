"""Message formatting and keyboards, validated the way Telegram validates them.

The stand-in applies ``parse_mode="HTML"`` like Telegram (tags become entities, the stored text
is plain) so the chat page shows what a phone would show, and so bugs that Telegram would
reject - an unescaped ``<`` from a user's name, ``<br>``, callback data over 64 bytes - fail
in tests instead of in production.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from bot.sandbox.state import JSON, ApiError, bad_request

_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}

MAX_CALLBACK_DATA_BYTES = 64


def utf16_length(text: str) -> int:
    """Telegram measures entity offsets and lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


class _TelegramHtml(HTMLParser):
    """Turns Telegram's HTML subset into plain text plus MessageEntity dicts."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self._source = source
        self._line_starts = [0]
        for index, char in enumerate(source):
            if char == "\n":
                self._line_starts.append(index + 1)
        self.parts: list[str] = []
        self.length = 0
        self.stack: list[tuple[str, int, JSON]] = []
        self.entities: list[JSON] = []

    def _byte_offset(self) -> int:
        line, column = self.getpos()
        index = self._line_starts[line - 1] + column
        return len(self._source[:index].encode())

    def _fail(self, reason: str) -> ApiError:
        return bad_request(f"can't parse entities: {reason} at byte offset {self._byte_offset()}")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.length += utf16_length(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        kind = _TAG_TYPES.get(tag)
        extra: JSON = {}
        if kind is None or (tag == "span" and attributes.get("class") != "tg-spoiler"):
            raise self._fail(f'Unsupported start tag "{tag}"')
        if tag == "a":
            href = attributes.get("href")
            if not href:
                raise self._fail('Can\'t find attribute "href" of tag "a"')
            extra["url"] = href
        elif tag == "tg-emoji":
            extra["custom_emoji_id"] = attributes.get("emoji-id") or ""
        elif tag == "blockquote" and "expandable" in attributes:
            kind = "expandable_blockquote"
        elif tag == "code" and self.stack and self.stack[-1][0] == "pre":
            language = attributes.get("class") or ""
            if language.startswith("language-"):
                self.stack[-1][2]["language"] = language.removeprefix("language-")
        self.stack.append((tag, self.length, {"type": kind, **extra}))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise self._fail(f'Unsupported start tag "{tag}"')

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1][0] != tag:
            raise self._fail(f'Unmatched end tag "{tag}"')
        _, start, entity = self.stack.pop()
        if self.length > start:
            self.entities.append({**entity, "offset": start, "length": self.length - start})


def parse_html(source: str) -> tuple[str, list[JSON]]:
    """Plain text and entities for ``parse_mode=HTML``, or the 400 Telegram would answer."""
    parser = _TelegramHtml(source)
    parser.feed(source)
    parser.close()
    if parser.stack:
        tag = parser.stack[-1][0]
        raise bad_request(
            f"can't parse entities: Can't find end tag corresponding to start tag \"{tag}\""
        )
    entities = sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))
    return "".join(parser.parts), entities


def formatted_text(
    raw: object, parse_mode: object, entities: object, *, limit: int, what: str
) -> tuple[str, list[JSON] | None]:
    """Text after parse_mode, checked against Telegram's empty/too-long rules."""
    text = "" if raw is None else str(raw)
    parsed: list[JSON] | None = entities if isinstance(entities, list) else None
    if isinstance(parse_mode, str) and parse_mode.lower() == "html":
        text, parsed = parse_html(text)
    if what == "text" and not text.strip():
        raise bad_request("message text is empty")
    if len(text) > limit:
        raise bad_request(
            "message is too long" if what == "text" else "message caption is too long"
        )
    return text, parsed or None


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    actions = {"callback_data", "url", "web_app", "login_url", "switch_inline_query", "pay"}
    actions |= {"switch_inline_query_current_chat", "switch_inline_query_chosen_chat"}
    actions |= {"callback_game", "copy_text"}
    if not actions & button.keys():
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    data = button.get("callback_data")
    if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
        raise bad_request("BUTTON_DATA_INVALID")


def check_reply_markup(markup: object) -> JSON | None:
    """Validate a reply_markup object; None when absent."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array'
            )
        for row in rows:
            for button in row:
                _check_inline_button(button)
    elif "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array')
    elif not ({"remove_keyboard", "force_reply"} & markup.keys()):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


def keyboard_rows(markup: JSON) -> list[list[str]]:
    """Button texts of a ReplyKeyboardMarkup (buttons may be strings or KeyboardButton)."""
    rows: list[list[str]] = []
    for row in markup.get("keyboard", []):
        rows.append([b if isinstance(b, str) else str(b.get("text", "")) for b in row])
    return rows


def inline_buttons(message: JSON) -> list[JSON]:
    """All inline keyboard buttons of a message, row by row."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button for row in rows for button in row]
