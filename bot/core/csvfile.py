"""Records (dicts of plain values) as CSV, written one way for the CLI, exports and open data.

Cells read as the JSON of the same records does: booleans `true`/`false`, None empty, lists
joined by commas. UTF-8 without a byte-order mark, a header row first, `\r\n` line ends (RFC 4180).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def cell(value: Any) -> str:
    """A record's value as CSV and tables show it: booleans as JSON writes them, None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)


def csv_text(fields: Sequence[str], records: Iterable[Mapping[str, Any]]) -> str:
    """The header row `fields`, then one row per record in that column order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(fields)
    writer.writerows([cell(record[field]) for field in fields] for record in records)
    return buffer.getvalue()


def csv_bytes(fields: Sequence[str], records: Iterable[Mapping[str, Any]]) -> bytes:
    """`csv_text` encoded as UTF-8 (no byte-order mark), for a download or an HTTP body."""
    return csv_text(fields, records).encode("utf-8")
