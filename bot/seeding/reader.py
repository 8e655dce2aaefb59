"""The strict reader every content file goes through, and the one error it raises.

Content editors write YAML, not Python, so every mistake must come back as one line naming the
file and the key: the same key twice (also inside one YAML mapping, which PyYAML would silently
keep the last of), a field of the wrong shape, a field nobody reads.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NoReturn, Self

import yaml

from bot.core.yamlfile import DuplicateKeyError, parse_yaml


class ContentError(ValueError):
    """A mistake in `content/`; the message names the file, the key and what is wrong."""

    def __init__(self, file: str, key: str, problem: str) -> None:
        super().__init__(f"{file}: {key}: {problem}" if key else f"{file}: {problem}")
        self.file = file
        self.key = key
        self.problem = problem


def read_yaml(path: Path, name: str) -> Any:
    """The document in `path`, or a ContentError naming `name`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError(name, "", "file is missing") from None
    except UnicodeDecodeError as error:
        raise ContentError(name, "", f"not UTF-8 text ({error.reason})") from None
    try:
        return parse_yaml(text)
    except DuplicateKeyError as error:
        raise ContentError(
            name, str(error.key), f"duplicate key (line {error.line}); each key may appear once"
        ) from None
    except yaml.YAMLError as error:
        raise ContentError(name, "", f"not valid YAML: {error}") from None


def kind_of(value: object) -> str:
    """How an error names what YAML gave instead of what was expected."""
    return "nothing" if value is None else type(value).__name__


class Fields:
    """One YAML mapping being read; fields left unread at `done()` are reported as unknown.

    This part knows the mapping's shape and its errors; the kinds of values a field may hold
    are read by the subclasses (`TextFields`, then `Entry`).
    """

    def __init__(self, file: str, key: str, data: object) -> None:
        self.file = file
        self.key = key
        if not isinstance(data, Mapping):
            self.fail(None, f"expected a mapping of fields, found {kind_of(data)}")
        self.data: Mapping[Any, Any] = data
        self._read: set[str] = set()

    @classmethod
    def top(cls, content_dir: Path, name: str) -> Self:
        """The top-level mapping of the file `name` under `content_dir`."""
        return cls(name, "", read_yaml(content_dir / name, name))

    def path(self, name: str | None) -> str:
        """The dotted key of field `name` inside this entry."""
        if name is None:
            return self.key
        return f"{self.key}.{name}" if self.key else name

    def fail(self, name: str | None, problem: str) -> NoReturn:
        """Stop loading with an error naming this file and the key of `name`."""
        raise ContentError(self.file, self.path(name), problem)

    def unique(self, name: str, value: str, seen: dict[str, str], where: str = "") -> None:
        """Record `value` of field `name`; a repeat is an error naming `where` (or this file)."""
        if value in seen:
            self.fail(name, f"duplicate {value!r} (first defined in {seen[value]})")
        seen[value] = where or self.file

    def has(self, name: str) -> bool:
        """Whether the field is present (and not null)."""
        return self.data.get(name) is not None

    def raw(self, name: str, *, required: bool = True) -> Any:
        """The field's value as YAML gave it."""
        self._read.add(name)
        value = self.data.get(name)
        if value is None and required:
            self.fail(name, self.required(name))
        return value

    def required(self, name: str, what: str = "") -> str:
        """'is required', with a hint when a field nobody reads looks like a misspelling of it."""
        strangers = [str(key) for key in self.data if key not in self._read]
        close = difflib.get_close_matches(name, strangers, n=1)
        hint = f" (is {close[0]!r} a misspelling?)" if close else ""
        return f"is required{what}{hint}"

    def within(self, name: str, data: object) -> Self:
        """The mapping in `data`, read as the nested field `name` of this entry."""
        return type(self)(self.file, self.path(name), data)

    def entries(self, name: str, *, key_field: str | None = "slug") -> Iterator[Self]:
        """The mappings of a list field, each keyed by its `key_field` for error messages.

        Each is `done` once the caller moves on to the next, so no loader can forget the check.
        """
        value = self.raw(name, required=False)
        if value is None:
            return
        if not isinstance(value, list):
            self.fail(name, f"expected a list, found {kind_of(value)}")
        for index, item in enumerate(value):
            label = str(index)
            if key_field is not None and isinstance(item, Mapping):
                own = item.get(key_field)
                if isinstance(own, str) and own.strip():
                    label = own.strip()
            entry = self.within(f"{name}.{label}", item)
            yield entry
            entry.done()

    def done(self) -> None:
        """Reject fields that nothing read (usually typos, always a surprise)."""
        for name in self.data:
            if name not in self._read:
                self.fail(str(name), "unknown field")
