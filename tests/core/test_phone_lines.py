"""The phone-line measure: words wrap as in a chat bubble, emoji count wide."""

from core.phone_lines import LINE_WIDTH, phone_lines


def test_short_text_is_one_line_and_a_break_starts_another() -> None:
    assert phone_lines("Hei Aino!") == 1
    assert phone_lines("Hei Aino!\nMitä kuuluu?") == 2


def test_words_wrap_whole_at_the_line_width() -> None:
    line = "a" * (LINE_WIDTH - 4)
    assert phone_lines(f"{line} abc") == 1
    assert phone_lines(f"{line} abcd") == 2
    assert phone_lines("x" * (LINE_WIDTH * 2 + 1)) == 3


def test_emoji_take_two_places() -> None:
    assert phone_lines("🙂" * (LINE_WIDTH // 2)) == 1
    assert phone_lines("🙂" * (LINE_WIDTH // 2 + 1)) == 2
    assert phone_lines("👍🏽" * (LINE_WIDTH // 2)) == 1  # a skin tone draws as one emoji
