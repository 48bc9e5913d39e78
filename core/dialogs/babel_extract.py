"""A Babel extractor for dialogue and service YAML: `make i18n` picks up their texts.

Registered in babel.cfg under `[extractors]` as `polku_yaml`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import yaml

# Keys whose values a young person reads; ids, urls, phone numbers and `source` are not text.
TEXT_KEYS = frozenset(
    {"title", "intro", "area", "text", "more", "tip", "label", "message", "name", "description"}
)


def _walk(node: yaml.Node) -> Iterator[tuple[int, str]]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value in TEXT_KEYS and isinstance(value, yaml.ScalarNode) and value.value:
                yield value.start_mark.line + 1, value.value
            else:
                yield from _walk(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _walk(item)


def extract_yaml(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Yield (line, funcname, message, comments) for every text in the file."""
    node = yaml.compose(fileobj.read().decode("utf-8"), Loader=yaml.SafeLoader)
    if node is not None:
        for line, text in _walk(node):
            yield line, "_", text, []
