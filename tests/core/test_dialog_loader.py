"""A broken dialogue file stops start-up with its file, line and reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.dialogs.loader import DIALOGS_DIR, DialogueFileError, load_dialogue, load_dialogues

WHO5 = (DIALOGS_DIR / "who5.yaml").read_text(encoding="utf-8")


def broken(tmp_path: Path, text: str, name: str = "broken.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_every_shipped_dialogue_loads():
    assert set(load_dialogues()) == {
        "initial_mapping",
        "life_areas",
        "study_skills",
        "who5",
        "work_readiness",
    }


def test_invalid_yaml(tmp_path):
    text = WHO5.replace("scoring: who5", "scoring: [who5")
    with pytest.raises(DialogueFileError, match=r"broken\.yaml:\d+: not valid YAML"):
        load_dialogue(broken(tmp_path, text))


def test_unknown_scale_names_the_line_of_the_question(tmp_path):
    text = WHO5.replace("scale: who5", "scale: one_to_seven", 1)
    with pytest.raises(DialogueFileError) as error:
        load_dialogue(broken(tmp_path, text))
    message = str(error.value)
    assert message.startswith("broken.yaml:")
    assert "unknown scale 'one_to_seven'" in message


def test_duplicate_question_ids(tmp_path):
    first_id = next(line for line in WHO5.splitlines() if line.strip().startswith("- id:"))
    second_id = [line for line in WHO5.splitlines() if line.strip().startswith("- id:")][1]
    text = WHO5.replace(second_id, first_id)
    with pytest.raises(DialogueFileError, match="question ids must be unique"):
        load_dialogue(broken(tmp_path, text))


def test_missing_field_points_at_its_question(tmp_path):
    lines = WHO5.splitlines()
    area = next(i for i, line in enumerate(lines) if line.strip().startswith("area:"))
    text = "\n".join(lines[:area] + lines[area + 1 :])
    with pytest.raises(DialogueFileError) as error:
        load_dialogue(broken(tmp_path, text))
    assert "questions.0.area: Field required" in str(error.value)
    assert str(error.value).startswith(f"broken.yaml:{line_of(text, '- id:')}:")


def test_an_unknown_key_is_refused_with_its_line(tmp_path):
    text = WHO5.replace("scoring: who5", "scoring: who5\ncolour: blue")
    with pytest.raises(DialogueFileError) as error:
        load_dialogue(broken(tmp_path, text))
    assert str(error.value).startswith(f"broken.yaml:{line_of(text, 'colour')}: colour:")


def test_an_unreachable_question(tmp_path):
    text = WHO5.replace("  - id:", "  - show_if: {question: nowhere, in: [x]}\n    id:", 1)
    with pytest.raises(DialogueFileError, match="unreachable"):
        load_dialogue(broken(tmp_path, text))


def test_a_text_without_translation(tmp_path):
    text = WHO5.replace("title:", "title: Brand new untranslated title\nold_title:", 1)
    text = "\n".join(line for line in text.splitlines() if not line.startswith("old_title:"))
    with pytest.raises(DialogueFileError) as error:
        load_dialogue(broken(tmp_path, text))
    assert "'Brand new untranslated title' has no fi translation" in str(error.value)
    assert str(error.value).startswith(f"broken.yaml:{line_of(text, 'Brand new')}:")


def test_two_files_with_one_id(tmp_path):
    shutil.copy(DIALOGS_DIR / "who5.yaml", tmp_path / "a.yaml")
    shutil.copy(DIALOGS_DIR / "who5.yaml", tmp_path / "b.yaml")
    with pytest.raises(DialogueFileError, match=r"b\.yaml:1: id 'who5' is already used by a\.yaml"):
        load_dialogues(tmp_path)


def test_start_up_stops_on_a_broken_file(tmp_path, monkeypatch, engine):
    from bot.app import build_application
    from core.settings import Settings

    broken(tmp_path, WHO5.replace("version: 1", "version: zero"))
    monkeypatch.setattr("core.dialogs.loader.DIALOGS_DIR", tmp_path)
    with pytest.raises(DialogueFileError, match=r"broken\.yaml:\d+: version"):
        build_application(Settings(_env_file=None), engine)


def test_a_service_that_services_yaml_does_not_list(tmp_path):
    life = (DIALOGS_DIR / "life_areas.yaml").read_text(encoding="utf-8")
    first_service = next(line for line in life.splitlines() if "services:" in line)
    broken(
        tmp_path,
        life.replace(first_service, "    services: [no_such_service]", 1),
        name="life_areas.yaml",
    )
    with pytest.raises(DialogueFileError, match="offers service 'no_such_service'"):
        load_dialogues(tmp_path)
