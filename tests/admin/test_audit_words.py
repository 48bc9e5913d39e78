"""Every action code written to the audit trail has a sentence, in every language: the codes
are found in the source itself, so a new one cannot be forgotten."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from admin.audit_words import SENTENCES, UNKNOWN, sentence_for
from core.i18n import LANGUAGES, translator

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "bot", "admin", "polku")
PLACEHOLDERS = {"coach": "Maija", "youth": "Aino", "target": "Pekka", "actor": "Maija"}


def _values(node: ast.expr, assigned: dict[str, list[ast.expr]], where: str) -> set[str]:
    """The strings an argument can be: a literal, either side of `a if c else b`, or a local
    name assigned such values in the same function."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _values(node.body, assigned, where) | _values(node.orelse, assigned, where)
    if isinstance(node, ast.Name) and assigned.get(node.id):
        return set().union(*(_values(value, assigned, where) for value in assigned[node.id]))
    raise AssertionError(f"{where}: write the audit code as a literal, not {ast.unparse(node)}")


def _assignments(function: ast.AST) -> dict[str, list[ast.expr]]:
    found: dict[str, list[ast.expr]] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, []).append(node.value)
    return found


def audited_codes() -> set[tuple[str, str]]:
    """(actor, action) of every do_audit call in the source."""
    codes: set[tuple[str, str]] = set()
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text("utf-8"))
            for function in ast.walk(tree):
                if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                assigned = _assignments(function)
                for call in ast.walk(function):
                    if not (
                        isinstance(call, ast.Call)
                        and getattr(call.func, "id", getattr(call.func, "attr", "")) == "do_audit"
                    ):
                        continue
                    where = f"{path.relative_to(ROOT)}:{call.lineno}"
                    args = {k.arg: k.value for k in call.keywords}
                    actors = _values(args["actor"], assigned, where)
                    actions = _values(args["action"], assigned, where)
                    codes |= {(actor, action) for actor in actors for action in actions}
    return codes


def test_the_source_writes_many_codes():
    codes = audited_codes()
    assert len(codes) > 50  # the finder sees the calls (a broken finder would pass anything)
    assert ("coach", "youth.read_chat") in codes and ("system", "coach.create") in codes


def test_every_audited_code_has_a_sentence():
    missing = sorted(
        f"{actor}:{action}" for actor, action in audited_codes() if not sentence_for(actor, action)
    )
    assert missing == [], f"add these to admin/audit_words.py SENTENCES: {missing}"


def test_no_sentence_is_left_for_a_code_nobody_writes():
    written = {action for _, action in audited_codes()} | {
        f"{actor}:{action}" for actor, action in audited_codes()
    }
    assert sorted(set(SENTENCES) - written) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_sentence_reads_in_every_language(language):
    _ = translator(language).gettext
    for msgid in (*SENTENCES.values(), UNKNOWN):
        assert _(msgid) != msgid or language == "en", msgid
        text = _(msgid) % {**PLACEHOLDERS, "code": "x.y"}
        assert "%(" not in text and text.strip(), msgid
