"""Crisis wording: the phrase lists measured on a corpus of real-sounding messages, and the
matching rules (spelling variants, negation, figures of speech) one by one.

The corpus (`crisis_corpus/`) was written apart from the phrase lists: `*.tsv` is the
development set the lists were tuned on; `heldout/` was written at the same time and looked at
once, after a first round of tuning; `fresh/` was written afterwards and never tuned on. The
figures per set and language are printed at the end of the test run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from core.crisis import PHRASES_DIR, Detector, may_join
from core.crisis_model import CrisisModel, read_corpus
from core.crisis_resources import ResourcesError, load_resources

CORPUS = Path(__file__).parent / "crisis_corpus"
SETS = {"development": CORPUS, "held out": CORPUS / "heldout", "fresh": CORPUS / "fresh"}
LANGUAGES = ("fi", "sv", "en")
MIN_RECALL, MAX_FALSE_ALARMS = 0.95, 0.03


@dataclass(frozen=True)
class Figures:
    corpus: str
    language: str
    positives: int
    caught: int
    negatives: int
    false_alarms: int

    @property
    def recall(self) -> float:
        return self.caught / self.positives

    @property
    def false_alarm_rate(self) -> float:
        return self.false_alarms / self.negatives


FIGURES: list[Figures] = []  # printed by tests/conftest.py at the end of the run


def examples(path: Path) -> list[tuple[bool, str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    rows = [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]
    return [(label == "1", text) for label, text in rows]


def measure(detector: Detector, name: str, folder: Path, language: str) -> Figures:
    rows = examples(folder / f"{language}.tsv")
    found = [(crisis, detector.find(text) is not None) for crisis, text in rows]
    figures = Figures(
        name,
        language,
        positives=sum(crisis for crisis, _ in found),
        caught=sum(crisis and hit for crisis, hit in found),
        negatives=sum(not crisis for crisis, _ in found),
        false_alarms=sum(hit and not crisis for crisis, hit in found),
    )
    FIGURES.append(figures)
    return figures


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector.from_folder(PHRASES_DIR)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_corpus_has_150_lines_of_positives_and_hard_negatives(language):
    rows = examples(CORPUS / f"{language}.tsv") + examples(CORPUS / "heldout" / f"{language}.tsv")
    assert len(rows) >= 150
    assert 0.3 < sum(crisis for crisis, _ in rows) / len(rows) < 0.7


@pytest.mark.parametrize("language", LANGUAGES)
def test_crisis_wording_is_caught_and_ordinary_talk_is_left_alone(detector, language):
    development = measure(detector, "development", CORPUS, language)
    held_out = measure(detector, "held out", CORPUS / "heldout", language)
    caught = development.caught + held_out.caught
    positives = development.positives + held_out.positives
    alarms = development.false_alarms + held_out.false_alarms
    negatives = development.negatives + held_out.negatives
    assert caught / positives >= MIN_RECALL
    assert alarms / negatives <= MAX_FALSE_ALARMS


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_set_never_tuned_on_is_measured(detector, language):
    """Reported, not held to the target: how the lists do on wording they were not fitted to."""
    if not (SETS["fresh"] / f"{language}.tsv").exists():
        pytest.skip("no fresh set")
    figures = measure(detector, "fresh", SETS["fresh"], language)
    assert figures.positives > 20 and figures.negatives > 20


@pytest.mark.parametrize(
    ("text", "crisis"),
    [
        ("haluan kuolla", True),
        ("en halua kuolla", False),  # negation before
        ("en mä oikeesti haluu kuolla", False),
        ("jag vill inte dö", False),  # negation inside the phrase's gap
        ("jag skär mig inte", False),  # negation after, the Swedish way
        ("en tiedä. haluun kuolla", True),  # a negation in another clause does not count
        ("HALUAN KUOLLA!!!", True),
        ("haluan kuolla 😔", True),
        ("haluun kuoooolla", True),
        ("en halua elaa enaa", True),  # no ä
        ("mä tapan itteni", True),
        ("tapan tän läksyn", False),
        ("kuolen nauruun", False),
        ("i wanna die", True),
        ("i want to dye", False),  # short words take no typo
        ("thinking about suicde", True),  # one typo in a long word
        ("I'm dying to see that film", False),
    ],
)
def test_matching_rules(detector, text, crisis):
    assert (detector.find(text) is not None) is crisis


def test_a_broken_phrase_file_stops_start_up_with_its_name(tmp_path):
    (tmp_path / "fi.yaml").write_text("language: fi\nphrases: ['haluan kuolla', 'itse-murha']\n")
    with pytest.raises(ValueError, match=r"(?s)fi\.yaml.*not one word"):
        Detector.from_folder(tmp_path)


def test_resources_exist_in_every_language_with_112_first_and_a_checked_date():
    lists = load_resources()
    for language in LANGUAGES:
        resources = lists[language].resources
        assert resources[0].phone == "112"
        assert any(r.phone == "09 2525 0111" for r in resources)
        assert any(r.url and "sekasin" in r.url for r in resources)
        assert lists[language].checked.year >= 2026


def test_a_resource_without_a_phone_or_an_address_is_refused(tmp_path):
    (tmp_path / "fi.yaml").write_text(
        "language: fi\nchecked: 2026-11-23\nresources:\n  - {id: x, name: X, hours: aina}\n"
    )
    with pytest.raises(ResourcesError, match="phone number or an https address"):
        load_resources(tmp_path)


@pytest.mark.parametrize("language", LANGUAGES)
def test_polkus_own_texts_are_not_crisis_wording(detector, language):
    """Menu buttons come back as the young person's text ("📝 Självskattning" once looked
    like "självskada"); no text of the bot or the panel may raise an alert."""
    from babel.messages.pofile import read_po

    from core.i18n import LOCALES_DIR

    with open(LOCALES_DIR / language / "LC_MESSAGES" / "polku.po", "rb") as handle:
        texts = [m.string for m in read_po(handle) if m.id and isinstance(m.string, str)]
    assert [t for t in texts if detector.find(t)] == []


def _button_labels(language: str) -> list[str]:
    """The menu and every dialogue answer button, as a young person taps them."""
    from bot.keyboards import BACK_TO_BOT, MENU_ITEMS
    from core.dialogs.loader import load_dialogues
    from core.i18n import gettext_for

    _ = gettext_for(language).gettext
    labels = [_(item) for item in (*MENU_ITEMS, BACK_TO_BOT)]
    for dialogue in load_dialogues().values():
        for question in dialogue.questions:
            labels += [_(option.label) for option in question.options]
    return sorted(set(labels))


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_two_taps_are_never_joined_into_crisis_words(detector, language):
    labels = _button_labels(language)
    would_alert = [(a, b) for a in labels for b in labels if detector.find(f"{a} {b}") is not None]
    assert [pair for pair in would_alert if may_join(*pair)] == []
    assert may_join("sometimes i want to", "die")  # the young person's own words still join


@dataclass(frozen=True)
class TierFigures:
    """Tier figures of one corpus file (the v2 sets are labelled self-harm / abuse / neither)."""

    corpus: str
    language: str
    self_harm: tuple[int, int]  # tier-1 caught, all
    abuse: tuple[int, int]
    false_alarms: tuple[int, int]  # tier 1 on negatives
    tier_12: tuple[int, int]  # tier 1 or 2 on positives
    tier_2_on_negatives: tuple[int, int]


TIER_FIGURES: list[TierFigures] = []  # printed by tests/conftest.py at the end of the run
V2 = {"development (v2)": CORPUS / "v2" / "dev", "fresh (v2)": CORPUS / "v2" / "fresh"}


@pytest.fixture(scope="module")
def tiered() -> Detector:
    return Detector.from_folder(PHRASES_DIR, model=CrisisModel.load())


@pytest.mark.parametrize("corpus", V2)
@pytest.mark.parametrize("language", LANGUAGES)
def test_tiers_on_the_v2_corpora(tiered, corpus, language):
    """Measured, printed, and held to what the development set was trained for; the fresh set
    is never tuned on, its figures are reported as they are."""
    rows = read_corpus(V2[corpus] / f"{language}.tsv")
    counts = {"self_harm": [0, 0], "abuse": [0, 0], "neither": [0, 0, 0]}
    tier_12 = [0, 0]
    for label, text in rows:
        found = tiered.assess(text)
        counts[label][1] += 1
        if label == "neither":
            counts[label][0] += found.tier == 1
            counts[label][2] += found.tier == 2
        else:
            counts[label][0] += found.tier == 1
            tier_12[0] += found.tier >= 1
            tier_12[1] += 1
    negatives = counts["neither"]
    figures = TierFigures(
        corpus,
        language,
        (counts["self_harm"][0], counts["self_harm"][1]),
        (counts["abuse"][0], counts["abuse"][1]),
        (negatives[0], negatives[1]),
        (tier_12[0], tier_12[1]),
        (negatives[2], negatives[1]),
    )
    TIER_FIGURES.append(figures)
    if corpus.startswith("development"):
        assert figures.tier_12[0] / figures.tier_12[1] >= 0.97
