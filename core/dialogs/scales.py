"""The answer scales a dialogue may use. A dialogue file names one; unknown names are refused."""

from __future__ import annotations

from dataclasses import dataclass

from core.i18n import N_


@dataclass(frozen=True)
class ScaleOption:
    value: int
    label: str  # a msgid, or a plain number/emoji that needs no translation
    translate: bool = False


@dataclass(frozen=True)
class Scale:
    """A numeric scale shown as buttons, at most `row` buttons a row (fits a phone)."""

    name: str
    options: tuple[ScaleOption, ...]
    row: int

    @property
    def low(self) -> int:
        return min(o.value for o in self.options)

    @property
    def high(self) -> int:
        return max(o.value for o in self.options)


ZERO_TO_TEN = Scale("zero_to_ten", tuple(ScaleOption(v, str(v)) for v in range(11)), row=4)
ONE_TO_FIVE = Scale(
    "one_to_five",
    tuple(
        ScaleOption(v, f"{emoji} {v}")
        for v, emoji in zip(range(1, 6), ("😞", "🙁", "😐", "🙂", "😄"), strict=True)
    ),
    row=5,
)
# The WHO-5 answer options, highest first as on the published form.
WHO5 = Scale(
    "who5",
    (
        ScaleOption(5, N_("All of the time"), translate=True),
        ScaleOption(4, N_("Most of the time"), translate=True),
        ScaleOption(3, N_("More than half of the time"), translate=True),
        ScaleOption(2, N_("Less than half of the time"), translate=True),
        ScaleOption(1, N_("Some of the time"), translate=True),
        ScaleOption(0, N_("At no time"), translate=True),
    ),
    row=1,
)
NUMERIC_SCALES = {scale.name: scale for scale in (ZERO_TO_TEN, ONE_TO_FIVE, WHO5)}
# Scales whose options the question lists itself: one choice, or several.
CHOICE = "choice"
MULTI = "multi"
SCALE_NAMES = (*NUMERIC_SCALES, CHOICE, MULTI)
