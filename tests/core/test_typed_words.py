"""Typed words: what they mean, and that none of them is ever read as crisis wording."""

from core.crisis import PHRASES_DIR, Detector
from core.crisis_model import CrisisModel
from core.typed_words import MENU_WORDS, WORDS, meaning, menu_word


def test_a_typed_word_means_the_same_with_any_case_punctuation_or_emoji() -> None:
    assert meaning("Joo!! 👍") == "yes"
    assert meaning("  NEJ tack.") == "no"
    assert meaning("lopeta") == "stop"
    assert meaning("joo mut en tiiä") is None  # a sentence is not a yes
    assert menu_word("Tapaamiset?") == "📅 My appointments"
    assert menu_word("möten") == "📅 My appointments"
    assert menu_word("tapaamiset huomenna klo 10") is None


def test_no_typed_word_reads_as_crisis_wording() -> None:
    detector = Detector.from_folder(PHRASES_DIR, model=CrisisModel.load())
    typed = set().union(*WORDS.values(), *MENU_WORDS.values())
    alarms = {word: detector.assess(word) for word in typed}
    assert {word: a.reason for word, a in alarms.items() if a.tier or a.mild} == {}
