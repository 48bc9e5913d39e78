"""Settings and commands that are not documented do not exist for the person installing Polku."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings
from polku.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
ENV_EXAMPLE = (ROOT / ".env.example").read_text(encoding="utf-8")
SETTING_NAMES = [field.alias for field in Settings.model_fields.values()]


def test_readme_opens_with_the_two_commands():
    lines = [line for line in README.splitlines() if line.strip()]
    assert lines[1:5] == ["```", "make run", "make test", "```"]


@pytest.mark.parametrize("name", SETTING_NAMES)
def test_every_setting_is_documented(name):
    assert name in README
    assert f"{name}=" in ENV_EXAMPLE


def subcommands() -> list[str]:
    parser = build_parser()
    names = []
    for action in parser._subparsers._group_actions:  # argparse keeps them here
        for name, sub in action.choices.items():
            nested = [a for a in sub._actions if a.__class__.__name__ == "_SubParsersAction"]
            if nested:
                names.extend(f"polku {name} {child}" for child in nested[0].choices)
            else:
                names.append(f"polku {name}")
    return names


@pytest.mark.parametrize("command", subcommands())
def test_every_command_is_documented(command):
    assert command in README
