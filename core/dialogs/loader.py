"""Load and validate every dialogue file at start-up; a broken file stops start-up with
its file, line and reason."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from core.dialogs.schema import Dialogue
from core.directory import load_directory
from core.i18n import LANGUAGES, translator

DIALOGS_DIR = Path(__file__).resolve().parent.parent.parent / "dialogs"


class DialogueFileError(ValueError):
    """A dialogue file is broken; the message names the file, the line and the reason."""


def _line_of(node: yaml.Node, location: Sequence[int | str]) -> int:
    """The 1-based line of the YAML node at a pydantic error location (as deep as it exists)."""
    for step in location:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == step), None)
            if match is None:
                break
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            if step >= len(node.value):
                break
            node = node.value[step]
        else:
            break
    return node.start_mark.line + 1


def msgids_of(dialogue: Dialogue) -> list[str]:
    """Every text of a dialogue that a young person reads (each is a gettext msgid)."""
    texts = [dialogue.title, dialogue.intro]
    for question in dialogue.questions:
        texts += [question.area, question.text]
        texts += [t for t in (question.more, question.tip) if t]
        texts += [option.label for option in question.options]
    texts += [rule.message for rule in dialogue.rules if rule.message]
    return texts


def untranslated(msgids: list[str]) -> list[tuple[str, str]]:
    """(language, msgid) pairs that a compiled catalog lacks."""
    missing = []
    for language in LANGUAGES:
        catalog: dict[str, str] = getattr(translator(language), "_catalog", {})
        missing += [(language, m) for m in msgids if not catalog.get(m)]
    return missing


def load_dialogue(path: Path) -> Dialogue:
    """Parse and validate one file; raise DialogueFileError with file, line and reason."""
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        reason = getattr(exc, "problem", None) or str(exc)
        raise DialogueFileError(f"{path.name}:{line}: not valid YAML: {reason}") from exc
    if node is None or not isinstance(data, dict):
        raise DialogueFileError(f"{path.name}:1: a dialogue file must be a mapping (id: …)")
    try:
        dialogue = Dialogue.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        line = _line_of(node, error["loc"])
        where = ".".join(str(p) for p in error["loc"]) or "file"
        reason = error["msg"].removeprefix("Value error, ")
        raise DialogueFileError(f"{path.name}:{line}: {where}: {reason}") from exc
    missing = untranslated(msgids_of(dialogue))
    if missing:
        language, msgid = missing[0]
        raise DialogueFileError(
            f"{path.name}:{_find_line(text, msgid)}: {msgid!r} has no {language} translation "
            f"(and {len(missing) - 1} more); run `make i18n` and translate"
        )
    return dialogue


def _find_line(text: str, msgid: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if msgid[:40] in line:
            return number
    return 1


def load_dialogues(folder: Path | None = None) -> dict[str, Dialogue]:
    """Every dialogue in the folder (default dialogs/), by id; duplicate ids are an error too."""
    folder = folder or DIALOGS_DIR
    dialogues: dict[str, Dialogue] = {}
    seen_in: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        dialogue = load_dialogue(path)
        if dialogue.id in dialogues:
            raise DialogueFileError(
                f"{path.name}:1: id {dialogue.id!r} is already used by {seen_in[dialogue.id]}"
            )
        dialogues[dialogue.id] = dialogue
        seen_in[dialogue.id] = path.name
    if not dialogues:
        raise DialogueFileError(f"{folder}: no dialogue files (*.yaml)")
    _check_services(folder, dialogues)
    return dialogues


def _check_services(folder: Path, dialogues: dict[str, Dialogue]) -> None:
    """Every service a question offers exists in services.yaml, translated."""
    directory = load_directory()
    for dialogue in dialogues.values():
        for question in dialogue.questions:
            for service_id in question.services:
                if service_id not in directory:
                    path = folder / f"{dialogue.id}.yaml"
                    text = path.read_text(encoding="utf-8") if path.exists() else ""
                    raise DialogueFileError(
                        f"{path.name}:{_find_line(text, service_id)}: question {question.id!r} "
                        f"offers service {service_id!r}, which services.yaml does not list"
                    )
    service_texts = [t for s in directory.values() for t in (s.name, s.description)]
    missing = untranslated(service_texts)
    if missing:
        language, msgid = missing[0]
        raise DialogueFileError(f"services.yaml: {msgid!r} has no {language} translation")
