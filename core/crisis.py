"""Crisis wording: does a young person's text say they may not be safe?

The knowledge is data, not code: `safety/phrases/{fi,sv,en}.yaml` hold the phrases, the words
that negate them and the figures of speech that only look like them. The organisation edits
those files; start-up validates them. This module only normalises text and matches.

Normalising makes spelling variants meet: lower case, ä→a, ö→o, å→a (any diacritic dropped),
a letter stretched for emphasis (three or more in a row) cut to one ("kuoooolla" → "kuolla"),
punctuation a
clause boundary. A word of eight letters or more also matches with one typo (a letter missing,
extra, wrong, or two swapped); a stem (`word*`) only matches as written.

A phrase is words in order; `word*` matches any ending; between two words one other word may
stand ("haluun niin kuolla"), and `..` lets up to four stand. A phrase does not count when a
negation word comes just before it in the same clause ("en halua kuolla"), stands in one of
its gaps ("jag vill inte dö") or, where a language puts it there, right after it ("jag skär
mig inte"); or when it lies inside an exception ("kuolen nauruun", "used to … suicide").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.i18n import is_own_text
from core.typed_words import is_a_typed_answer

PHRASES_DIR = Path(__file__).resolve().parent.parent / "safety" / "phrases"
SELF_HARM = "self_harm"
ABUSE = "abuse"
BOUNDARY = "|"
GAP = ".."
NEAR = 1  # other words allowed between two phrase words
FAR = 4  # with `..`
TYPO_MIN_LENGTH = 8


def normalise(text: str) -> list[str]:
    """Words of the text in matching form, with BOUNDARY at clause breaks."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = re.sub(r"[.!?,;:()\[\]\"“”/\n]+", f" {BOUNDARY} ", plain)
    plain = re.sub(r"[^\w|]+", " ", plain)
    return [re.sub(r"(.)\1\1+", r"\1", word) for word in plain.split()]


def _within_one_edit(word: str, target: str) -> bool:
    """True when one insertion, deletion, substitution or swap of neighbours turns one into the
    other (optimal string alignment distance ≤ 1)."""
    if word == target:
        return True
    if abs(len(word) - len(target)) > 1:
        return False
    if len(word) == len(target):
        differ = [i for i, (a, b) in enumerate(zip(word, target, strict=True)) if a != b]
        if len(differ) == 1:
            return True
        first = differ[0] if differ else 0
        return (
            len(differ) == 2
            and differ[1] == first + 1
            and word[first] == target[first + 1]
            and word[first + 1] == target[first]
        )
    short, long = sorted((word, target), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


@dataclass(frozen=True)
class Token:
    """One word of a phrase: exact, or a stem (`kuol*`), and how far it may follow the last."""

    text: str
    stem: bool
    gap: int

    def matches(self, word: str) -> bool:
        if word == self.text or (self.stem and word.startswith(self.text)):
            return True
        # Typos only on whole words: a stem with a typo matched too much ("självskattning",
        # the self-assessment button, looked like "självskad…").
        return (
            not self.stem
            and len(self.text) >= TYPO_MIN_LENGTH
            and _within_one_edit(word, self.text)
        )


def compile_phrase(phrase: str) -> tuple[Token, ...]:
    """'haluu* .. kuol*' → tokens in matching form, each knowing the gap before it."""
    tokens: list[Token] = []
    gap = 0
    for part in phrase.split():
        if part == GAP:
            gap = FAR
            continue
        stem = part.endswith("*")
        words = normalise(part.rstrip("*"))
        if len(words) != 1:
            raise ValueError(f"{phrase!r}: {part!r} is not one word")
        tokens.append(Token(words[0], stem, gap if tokens else 0))
        gap = NEAR
    if not tokens:
        raise ValueError(f"{phrase!r} has no words")
    return tuple(tokens)


def find_span(tokens: tuple[Token, ...], words: list[str]) -> tuple[int, int] | None:
    """The first (start, end) where the phrase occurs in the words, within one clause."""
    for start, word in enumerate(words):
        if not tokens[0].matches(word):
            continue
        end = _rest(tokens, words, 1, start + 1)
        if end is not None:
            return start, end
    return None


def _rest(tokens: tuple[Token, ...], words: list[str], index: int, position: int) -> int | None:
    if index == len(tokens):
        return position
    token = tokens[index]
    for offset in range(token.gap + 1):
        at = position + offset
        if at >= len(words) or words[at] == BOUNDARY:
            return None
        if token.matches(words[at]):
            end = _rest(tokens, words, index + 1, at + 1)
            if end is not None:
                return end
    return None


class PhraseFile(BaseModel):
    """One language's crisis wording, as the organisation keeps it."""

    model_config = ConfigDict(extra="forbid")

    language: str = Field(pattern="^(fi|sv|en)$")
    negations: list[str] = Field(default_factory=list)
    negation_window: int = Field(default=2, ge=0, le=4)
    negation_after: int = Field(default=0, ge=0, le=2)  # "jag skär mig inte"
    phrases: list[str] = Field(min_length=1)
    # Someone hurting the young person (violence, sexual coercion, grooming): its own kind,
    # answered with its own resources, never as a suicide risk.
    abuse: list[str] = Field(default_factory=list)
    exceptions: list[str] = Field(default_factory=list)
    # Anywhere in the message, these make a phrase hit tier 2 at most (a gentle check-in, not
    # the crisis flow): asking what a word means, a school task, harm that is over.
    softeners: list[str] = Field(default_factory=list)

    @field_validator("phrases", "abuse", "exceptions", "softeners")
    @classmethod
    def _compiles(cls, phrases: list[str]) -> list[str]:
        for phrase in phrases:
            compile_phrase(phrase)
        return phrases


def load_phrase_files(folder: Path = PHRASES_DIR) -> list[PhraseFile]:
    """Read and validate `folder/*.yaml`; a broken file stops start-up with its name."""
    files = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            files.append(PhraseFile.model_validate(yaml.safe_load(path.read_text("utf-8"))))
        except (ValueError, yaml.YAMLError) as error:
            raise ValueError(f"{path}: {error}") from error
    if not files:
        raise ValueError(f"{folder}: no phrase files")
    return files


@dataclass(frozen=True)
class Hit:
    """Why a text counts as crisis wording (for the audit trail and the tests)."""

    language: str
    phrase: str
    kind: str = SELF_HARM  # or ABUSE


@dataclass(frozen=True)
class _Language:
    code: str
    negations: frozenset[str]
    window: int
    after: int
    phrases: tuple[tuple[str, tuple[Token, ...]], ...]
    abuse: tuple[tuple[str, tuple[Token, ...]], ...]
    exceptions: tuple[tuple[Token, ...], ...]
    softeners: tuple[tuple[Token, ...], ...] = ()

    def softened(self, words: list[str]) -> bool:
        """Whether the message only asks about, studies or looks back on the wording."""
        return any(find_span(softener, words) is not None for softener in self.softeners)

    def find(self, words: list[str]) -> Hit | None:
        """Self-harm wording first (the more urgent answer), then abuse."""
        for kind, phrases in ((SELF_HARM, self.phrases), (ABUSE, self.abuse)):
            for phrase, tokens in phrases:
                if self._counts(tokens, words):
                    return Hit(self.code, phrase, kind)
        return None

    def _counts(self, tokens: tuple[Token, ...], words: list[str]) -> bool:
        """Any occurrence of the phrase that is neither negated nor part of an exception."""
        offset = 0
        while (span := find_span(tokens, words[offset:])) is not None:
            start, end = span[0] + offset, span[1] + offset
            negated = (
                self._negated(words, start)
                or self._negated_inside(tokens, words[start:end])
                or self._negated_after(words, end)
            )
            if not negated and not self._excepted(words, start, end):
                return True
            offset = start + 1
        return False

    def _negated(self, words: list[str], start: int) -> bool:
        before: list[str] = []
        for word in reversed(words[:start]):
            if word == BOUNDARY or len(before) == self.window:
                break
            before.append(word)
        return any(word in self.negations for word in before)

    def _negated_after(self, words: list[str], end: int) -> bool:
        """A negation right after the phrase, as Swedish puts it ("jag skär mig inte")."""
        for word in words[end : end + self.after]:
            if word == BOUNDARY:
                return False
            if word in self.negations:
                return True
        return False

    def _negated_inside(self, tokens: tuple[Token, ...], span: list[str]) -> bool:
        """A negation in a gap of the phrase ("vill inte dö"), not one the phrase names."""
        own = {token.text for token in tokens}
        return any(word in self.negations and word not in own for word in span)

    def _excepted(self, words: list[str], start: int, end: int) -> bool:
        for exception in self.exceptions:
            low = max(0, start - 4)
            span = find_span(exception, words[low : end + 4])
            if span is not None and span[0] + low < end and span[1] + low > start:
                return True
        return False


class Reader(Protocol):
    """A learned reader of messages (core.crisis_model.CrisisModel)."""

    def read(self, text: str) -> Reading: ...


class Reading(Protocol):
    @property
    def kind(self) -> str: ...

    @property
    def probability(self) -> float: ...


# From here up the model raises a tier-2 check-in. It never raises tier 1 alone: on the first
# held-out set its surest readings (≥ 0.8) were false alarms in 13 % of ordinary messages, where
# the lists have none; the check-in's "Not really" and "I need help now" escalate anyway.
TIER2_PROBABILITY = 0.5
MILD_PROBABILITY = 0.3
# One word ("ja", "stop", "ei"), or a typed answer such as "ei käy", is too little for the
# learned reader to go on: such a text is crisis wording only through the phrase lists.
MODEL_MIN_WORDS = 2


@dataclass(frozen=True)
class Assessment:
    """How a message reads: tier 1 (clear: the crisis flow), 2 (uncertain: a gentle check-in)
    or 0 (nothing), of which kind, and why (a phrase, or the model's certainty)."""

    tier: int
    kind: str
    reason: str
    probability: float = 0.0  # the model's reading (0 without a model or after a phrase hit)

    @property
    def mild(self) -> bool:
        """A weak signal: nothing on its own, tier 2 when several come in a row or after a
        low wellbeing score."""
        return self.tier == 0 and self.probability >= MILD_PROBABILITY


NOTHING = Assessment(0, "neither", "")


class Detector:
    """Crisis wording in every language Polku speaks, checked on every text: the phrase lists
    (tier 1, or tier 2 when softened) and beside them an optional learned reader (tier 2)."""

    def __init__(self, files: Iterable[PhraseFile], model: Reader | None = None) -> None:
        self.model = model
        self._languages = tuple(
            _Language(
                code=f.language,
                negations=frozenset(w for n in f.negations for w in normalise(n)),
                window=f.negation_window,
                after=f.negation_after,
                phrases=tuple((p, compile_phrase(p)) for p in f.phrases),
                abuse=tuple((p, compile_phrase(p)) for p in f.abuse),
                exceptions=tuple(compile_phrase(e) for e in f.exceptions),
                softeners=tuple(compile_phrase(s) for s in f.softeners),
            )
            for f in files
        )

    @classmethod
    def from_folder(cls, folder: Path, model: Reader | None = None) -> Detector:
        """The detector for the phrase files in `folder` (see `load_phrase_files`)."""
        return cls(load_phrase_files(folder), model)

    def assess(self, text: str) -> Assessment:
        """The tier and kind of a message: a phrase first, then the model's reading."""
        hit = self.find(text)
        if hit is not None:
            words = normalise(text)
            softened = any(language.softened(words) for language in self._languages)
            return Assessment(2 if softened else 1, hit.kind, f"{hit.language}: {hit.phrase}")
        if self.model is None or len(normalise(text)) < MODEL_MIN_WORDS or is_a_typed_answer(text):
            return NOTHING
        reading = self.model.read(text)
        tier = 2 if reading.probability >= TIER2_PROBABILITY else 0
        reason = f"model {reading.probability:.2f}"
        return Assessment(tier, reading.kind, reason, reading.probability)

    def find(self, text: str) -> Hit | None:
        """The first crisis phrase in the text, in any language, or None."""
        words = normalise(text)
        for language in self._languages:
            hit = language.find(words)
            if hit is not None:
                return hit
        return None


def may_join(previous: str, text: str) -> bool:
    """Whether two messages may be read as one split sentence: never when either is a command,
    a tapped button or one of Polku's own texts ("📅 Omat tapaamiset" then "📝 Itsearviointi"
    is two taps, not "tapa itse")."""
    return not is_own_text(previous) and not is_own_text(text)
