"""Issue 15: `citybot nlu` reads messages line by line and writes one JSON object per line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import cli
from tests.factories import one_line_error

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("isolated_settings")
ROOT = Path(__file__).resolve().parent.parent


def test_the_issue_example_through_the_installed_command(tmp_path: Path) -> None:
    """`echo '{"text":"ตั้ง PMC เสร็จแล้วค่ะ"}' | citybot nlu`, as an operator types it.

    The database URL points at a directory that does not exist: nothing may touch it.
    """
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/missing/none.db",
        "PYTHAINLP_OFFLINE": "1",
        "PYTHAINLP_READ_ONLY": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "nlu"],
        input='{"text":"ตั้ง PMC เสร็จแล้วค่ะ"}\n',
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    [line] = done.stdout.splitlines()
    answer = json.loads(line)
    assert answer["text"] == "ตั้ง PMC เสร็จแล้วค่ะ"
    assert answer["intent"] == "progress_update"
    assert answer["slots"] == {"milestone": "pmc-established", "status": "done"}
    assert 0 <= answer["confidence"] <= 1
    assert not (tmp_path / "missing").exists()


def test_json_and_plain_lines_in_order_with_bad_lines_answered() -> None:
    """Each non-blank line gets its answer, in order; a JSON line without text says so."""
    lines = [
        '{"text": "ส่ง concept note วันไหน"}',
        "ขอบคุณครับ",
        "",
        '{"message": "no text here"}',
        "{not json, just text",
        '{"text": "CDP 40%"}',
    ]
    result = runner.invoke(cli, ["nlu"], input="\n".join(lines) + "\n")

    assert result.exit_code == 0, result.output
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a.get("intent") for a in answers] == [
        "deadline_query",
        "thanks",
        None,
        "unknown",
        "progress_update",
    ]
    assert answers[0]["slots"] == {"stage": "concept-note"}
    assert answers[2] == {"text": None, "error": 'a JSON line needs a "text" string'}
    assert answers[3]["text"] == "{not json, just text"
    assert answers[4]["slots"] == {
        "milestone": "city-data-platform-designed",
        "percent": 40,
        "status": "in_progress",
    }
    for answer in answers:
        if "intent" in answer:
            assert set(answer) == {"text", "intent", "confidence", "slots"}


def test_broken_lexicons_are_one_error_line(tmp_path: Path) -> None:
    """A lexicon naming an unknown milestone stops the command with `error:` and exit 2."""
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    lexicon = content / "nlu" / "milestones.yaml"
    lexicon.write_text(
        lexicon.read_text(encoding="utf-8").replace("key: pmc-established", "key: pmc-x"),
        encoding="utf-8",
    )
    result = runner.invoke(
        cli, ["nlu"], input="hello\n", env={"CITYBOT_CONTENT_DIR": str(content)}
    )
    one_line_error(result, "nlu/milestones.yaml", "pmc-x")
