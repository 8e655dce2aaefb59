"""Strict YAML for content/: repeated keys are errors and dates stay text.

PyYAML silently keeps the last of two equal keys, and turns `2027-03-31 17:00:00` into a naive
datetime but `2027-03-31T17:00` into a string; content is read with one rule instead, and the
catalogue reads every date itself, with its time zone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node

MERGE_TAG = "tag:yaml.org,2002:merge"
TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class DuplicateKeyError(ValueError):
    """A mapping names the same key twice; `key` is that key."""

    def __init__(self, key: str, line: int) -> None:
        super().__init__(f"duplicate key {key!r} (line {line})")
        self.key = key
        self.line = line


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that raises on a repeated mapping key and resolves no timestamps."""


def _strict_mapping(loader: StrictLoader, node: Node) -> dict[Any, Any]:
    """Construct a mapping, first checking its own keys (merged `<<` keys may be overridden)."""
    if not isinstance(node, MappingNode):
        raise yaml.constructor.ConstructorError(None, None, "expected a mapping", node.start_mark)
    seen: set[Any] = set()
    for key_node, _value in node.value:
        if key_node.tag == MERGE_TAG:
            continue
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise DuplicateKeyError(str(key), key_node.start_mark.line + 1)
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _strict_mapping)
StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_yaml(text: str) -> Any:
    """The document in `text`, parsed strictly."""
    return yaml.load(text, Loader=StrictLoader)  # noqa: S506  # a SafeLoader subclass


def read_yaml(path: Path) -> Any:
    """The document in `path`, parsed strictly."""
    return parse_yaml(path.read_text(encoding="utf-8"))
