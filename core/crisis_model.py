"""A small learned reader beside the phrase lists: how likely a message is self-harm or abuse.

The phrase lists catch the wording they were written for; this catches wording near it — other
spellings, spoken forms, words in another order. It is a multinomial logistic regression over
hashed character n-grams of the normalised text (`core.crisis.normalise`), trained in the
repository on the development corpus (`make model`, `python -m core.crisis_model`) and kept as
one small file, `safety/model.npz`. At run time it needs numpy only, nothing is downloaded, and
one message takes well under a millisecond.

The lists stay in charge of the clear cases (tier 1). The model adds tier 2: a gentle check-in
for wording the lists do not know, see `core.crisis.Detector`.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from core.crisis import ABUSE, SELF_HARM, normalise

MODEL_PATH = Path(__file__).resolve().parent.parent / "safety" / "model.npz"
CORPUS_DIR = Path(__file__).resolve().parent.parent / "tests" / "core" / "crisis_corpus"
CLASSES = ("neither", SELF_HARM, ABUSE)
FEATURES = 2**14
NGRAMS = (3, 4, 5)
OLD_LABELS = {"1": SELF_HARM, "0": "neither"}  # the first corpus: crisis or not


def _features(text: str) -> NDArray[np.float32]:
    """Hashed character n-grams of the normalised words (stable across runs: blake2b)."""
    padded = " " + " ".join(w for w in normalise(text) if w != "|") + " "
    vector = np.zeros(FEATURES, dtype=np.float32)
    for n in NGRAMS:
        for i in range(len(padded) - n + 1):
            gram = padded[i : i + n].encode()
            index = int.from_bytes(hashlib.blake2b(gram, digest_size=4).digest(), "little")
            vector[index % FEATURES] += 1.0
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


@dataclass(frozen=True)
class Reading:
    """The model's view of one message: the likeliest kind and how sure it is."""

    kind: str  # SELF_HARM, ABUSE or "neither"
    probability: float


class CrisisModel:
    """The trained weights, loaded once at start-up."""

    def __init__(self, weights: NDArray[np.float32], bias: NDArray[np.float32]) -> None:
        self.weights, self.bias = weights, bias

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> CrisisModel:
        with np.load(path) as stored:
            return cls(stored["weights"].astype(np.float32), stored["bias"].astype(np.float32))

    def read(self, text: str) -> Reading:
        """The likeliest crisis kind of the text and its probability (neither excluded)."""
        logits = _features(text) @ self.weights + self.bias
        odds = np.exp(logits - logits.max())
        probabilities = odds / odds.sum()
        best = 1 + int(np.argmax(probabilities[1:]))
        return Reading(CLASSES[best], float(probabilities[best]))


def read_corpus(path: Path) -> list[tuple[str, str]]:
    """(label, text) pairs of a corpus file: `label<TAB>text`, `#` lines skipped."""
    pairs = []
    for line in path.read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        label, _, text = line.partition("\t")
        if not text:
            label, _, text = line.partition(" ")
        pairs.append((OLD_LABELS.get(label.strip(), label.strip()), text.strip()))
    return [(label, text) for label, text in pairs if label in CLASSES]


def training_files() -> list[Path]:
    """The development sets only: the held-out and fresh sets are never trained on."""
    return [
        *sorted(CORPUS_DIR.glob("*.tsv")),  # the first development set
        *sorted((CORPUS_DIR / "v2" / "dev").glob("*.tsv")),
    ]


def train(
    pairs: list[tuple[str, str]], *, epochs: int = 1500, rate: float = 8.0, l2: float = 1e-5
) -> CrisisModel:
    """Full-batch gradient descent on softmax cross-entropy: deterministic, seconds to run."""
    x = np.stack([_features(text) for _, text in pairs])
    y = np.array([CLASSES.index(label) for label, _ in pairs])
    onehot = np.eye(len(CLASSES), dtype=np.float32)[y]
    counts = onehot.sum(axis=0)
    sample_weight = (len(y) / (len(CLASSES) * np.maximum(counts, 1)))[y][:, None]
    weights = np.zeros((FEATURES, len(CLASSES)), dtype=np.float32)
    bias = np.zeros(len(CLASSES), dtype=np.float32)
    for _ in range(epochs):
        logits = x @ weights + bias
        odds = np.exp(logits - logits.max(axis=1, keepdims=True))
        probabilities = odds / odds.sum(axis=1, keepdims=True)
        error = (probabilities - onehot) * sample_weight / len(y)
        weights -= rate * (x.T @ error + l2 * weights)
        bias -= rate * error.sum(axis=0)
    return CrisisModel(weights, bias)


def main() -> None:
    """`make model`: train on the development sets and write safety/model.npz."""
    pairs = [pair for path in training_files() for pair in read_corpus(path)]
    print(f"training on {len(pairs)} messages from {len(training_files())} files", flush=True)
    model = train(pairs)
    np.savez_compressed(
        MODEL_PATH, weights=model.weights.astype(np.float16), bias=model.bias.astype(np.float16)
    )
    print(f"wrote {MODEL_PATH} ({MODEL_PATH.stat().st_size // 1024} KB)", file=sys.stderr)


if __name__ == "__main__":
    main()
