"""New coach passwords that are easy to guess are refused."""

from __future__ import annotations

import pytest

from core.services.coaches import CoachError, check_password_rule


@pytest.mark.parametrize(
    "password",
    ["aaaaaaaaaa", "abababababab", "Password123", "salasana123", "maija-2026-kesä", "1234567890"],
)
def test_a_guessable_password_is_refused(password):
    with pytest.raises(CoachError):
        check_password_rule(password, login="maija")


def test_a_long_unusual_password_is_accepted():
    check_password_rule("kahvi ja korvapuusti 7", login="maija")
