"""What a dialogue file may say. Text fields are gettext msgids (English); see `dialogs/`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.dialogs.scales import CHOICE, MULTI, NUMERIC_SCALES, SCALE_NAMES

IDENTIFIER = r"^[a-z][a-z0-9_]{0,31}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(Strict):
    """One option of a `choice` or `multi` question."""

    value: str = Field(pattern=IDENTIFIER)
    label: str = Field(min_length=1)


class ShowIf(Strict):
    """Ask a question only when an earlier answer is one of `in`."""

    question: str
    in_: list[str] = Field(alias="in", min_length=1)


class Question(Strict):
    id: str = Field(pattern=IDENTIFIER)
    area: str = Field(min_length=1, description="short label for charts and summaries")
    text: str = Field(min_length=1)
    more: str | None = Field(default=None, description="the 'tell me more' text")
    scale: str | None = None
    options: list[Option] = Field(default_factory=list)
    services: list[str] = Field(default_factory=list)
    tip: str | None = None
    show_if: ShowIf | None = None
    # For scales where a high number means a harder situation (none so far); keeps summaries kind.
    reverse: bool = False


class Rule(Strict):
    """What follows from the dialogue's score."""

    score_at_most: float
    offer: Literal["coach", "safety"]
    message: str | None = None


class Dialogue(Strict):
    id: str = Field(pattern=IDENTIFIER)
    version: int = Field(ge=1)
    title: str = Field(min_length=1)
    intro: str = Field(min_length=1)
    source: str | None = Field(default=None, description="where a published instrument is from")
    scale: str | None = Field(default=None, description="default scale of the questions")
    chart: Literal["radar", "none"] = "none"
    low_at: int | None = None
    high_at: int | None = None
    scoring: Literal["mean", "who5", "none"] = "none"
    repeat: bool = Field(default=True, description="offer it again after a while (nudge)")
    rules: list[Rule] = Field(default_factory=list)
    questions: list[Question] = Field(min_length=1)

    def scale_of(self, question: Question) -> str:
        """The question's own scale, else the dialogue's."""
        return question.scale or self.scale or ""

    @model_validator(mode="after")
    def _consistent(self) -> Dialogue:
        ids = [q.id for q in self.questions]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"question ids must be unique: {', '.join(duplicates)} repeat")
        for index, question in enumerate(self.questions):
            scale = self.scale_of(question)
            where = f"question {question.id!r}"
            if scale not in SCALE_NAMES:
                known = ", ".join(SCALE_NAMES)
                raise ValueError(f"{where}: unknown scale {scale!r} (known: {known})")
            if scale in (CHOICE, MULTI) and len(question.options) < 2:
                raise ValueError(f"{where}: a {scale} question needs at least two options")
            if scale in NUMERIC_SCALES and question.options:
                raise ValueError(f"{where}: options belong to choice or multi questions only")
            values = [o.value for o in question.options]
            if len(set(values)) != len(values):
                raise ValueError(f"{where}: option values must be unique")
            if question.show_if is not None:
                _check_reachable(self.questions[:index], question)
        if self.scoring == "who5" and any(self.scale_of(q) != "who5" for q in self.questions):
            raise ValueError("who5 scoring needs every question on the who5 scale")
        if self.chart == "radar" and any(
            self.scale_of(q) not in NUMERIC_SCALES for q in self.questions
        ):
            raise ValueError("a radar chart needs every question on a numeric scale")
        if self.rules and self.scoring == "none":
            raise ValueError("rules on the score need a scoring (mean or who5)")
        return self


def _check_reachable(earlier: list[Question], question: Question) -> None:
    """A condition on a later or unknown question, or on an option that does not exist,
    would make the question unreachable."""
    condition = question.show_if
    if condition is None:
        return
    target = next((q for q in earlier if q.id == condition.question), None)
    where = f"question {question.id!r}"
    if target is None:
        raise ValueError(
            f"{where} is unreachable: show_if names {condition.question!r}, "
            "which is not an earlier question"
        )
    values = {o.value for o in target.options}
    missing = [v for v in condition.in_ if v not in values]
    if missing:
        raise ValueError(
            f"{where} is unreachable: {condition.question!r} has no option {', '.join(missing)}"
        )
