"""YAML reading that refuses duplicate keys, which PyYAML would otherwise silently overwrite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node


class DuplicateKeyError(ValueError):
    """A mapping names the same key twice; `key` is that key."""

    def __init__(self, key: str, line: int) -> None:
        super().__init__(f"duplicate key {key!r} (line {line})")
        self.key = key
        self.line = line


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that raises on a repeated mapping key."""


def _construct_mapping(loader: _StrictLoader, node: Node, deep: bool = False) -> dict[Any, Any]:
    assert isinstance(node, MappingNode)
    seen: set[Any] = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise DuplicateKeyError(str(key), key_node.start_mark.line + 1)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def read_yaml(path: Path) -> Any:
    """The document in `path`, parsed strictly (duplicate keys are errors)."""
    with path.open(encoding="utf-8") as stream:
        return yaml.load(stream, Loader=_StrictLoader)  # noqa: S506  # a SafeLoader subclass
