"""`citybot nlu`: what the bot understands of each message, as JSON lines; no database needed.

Reads stdin line by line (a JSON object `{"text": …}` or plain text) and writes, in order, one
`{"text", "intent", "confidence", "slots"}` object per message, flushed at once so that a
program can talk to it line by line. The lexicons are loaded once, before the first line.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import typer

from bot.cli.support import CommandError, load_cli_settings


def message_text(line: str) -> str | dict[str, Any]:
    """The text of one input line, or the error object to print in its place."""
    stripped = line.rstrip("\r\n")
    if not stripped.lstrip().startswith("{"):
        return stripped
    try:
        data = json.loads(stripped)
    except json.JSONDecodeError:
        return stripped  # text that merely starts with a brace
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        return {"text": None, "error": 'a JSON line needs a "text" string'}
    text: str = data["text"]
    return text


def nlu() -> None:
    """Understand messages from stdin: one JSON object out per line in (intent, slots)."""
    from bot.nlu.understanding import Understander
    from bot.seeding import ContentError

    settings = load_cli_settings()
    try:
        understander = Understander.from_content(settings.content_dir)
    except ContentError as error:
        raise CommandError(f"the NLU lexicons are not valid: {error}") from None
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        text = message_text(line)
        result = understander.understand(text).data() if isinstance(text, str) else text
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()


def register(cli: typer.Typer) -> None:
    """Add `nlu` to the root command."""
    cli.command("nlu")(nlu)
