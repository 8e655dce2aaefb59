"""The `citybot` command as operators run it: invites, migrations and one-line errors."""

from __future__ import annotations

import asyncio
import re
import shutil
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner, Result

from bot.cli import cli
from bot.settings import DEFAULT_CONTENT_DIR
from db.base import utcnow
from db.enums import OrganisationKind, Role
from db.migrate import downgrade
from db.models import Invite, Organisation
from db.repositories.audit import list_entries
from db.repositories.invites import CODE_ALPHABET, get_invite
from db.session import create_engine, create_session_factory
from tests.conftest import POSTGRES_URL
from tests.serving import CITYBOT, clean_env, free_port, run_process

CODE = re.compile(rf"^[{CODE_ALPHABET}]{{8}}$")
runner = CliRunner()


pytestmark = pytest.mark.usefixtures("isolated_settings")


ORGANISATIONS = (
    ("khon-kaen", OrganisationKind.CITY, "ขอนแก่น", "Khon Kaen"),
    ("depa", OrganisationKind.AGENCY, "สำนักงานส่งเสริมเศรษฐกิจดิจิทัล", "depa"),
    ("siam-infra", OrganisationKind.PARTNER, "สยามอินฟรา", "Siam Infra"),
)


async def _add_organisations(url: str) -> None:
    engine = create_engine(url)
    async with create_session_factory(engine)() as session, session.begin():
        session.add_all(
            Organisation(slug=slug, kind=kind, name_th=name_th, name_en=name_en)
            for slug, kind, name_th, name_en in ORGANISATIONS
        )
    await engine.dispose()


async def _invite(url: str, code: str) -> Invite | None:
    engine = create_engine(url)
    async with create_session_factory(engine)() as session:
        invite = await get_invite(session=session, code=code)
    await engine.dispose()
    return invite


async def _audit_targets(url: str, action: str) -> list[str | None]:
    engine = create_engine(url)
    async with create_session_factory(engine)() as session:
        entries = await list_entries(session=session, action=action)
    await engine.dispose()
    return [entry.target for entry in entries]


@pytest.fixture
def programme_url(database_url: str) -> str:
    """A migrated database holding a city, depa and a partner firm."""
    asyncio.run(_add_organisations(database_url))
    return database_url


def _citybot(url: str, *args: str) -> Result:
    return runner.invoke(cli, list(args), env={"DATABASE_URL": url})


def _assert_one_line_error(result: Result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0]


def _created_code(result: Result) -> str:
    assert result.exit_code == 0, result.output
    code = result.stdout.splitlines()[-1]
    assert CODE.match(code), result.stdout
    return code


# --- invites -------------------------------------------------------------------------------------


def test_invite_create_prints_code_last_and_stores_it(programme_url: str) -> None:
    """`invite create` stores the invite as asked, audits it and prints the code last."""
    before = utcnow()
    result = _citybot(
        programme_url,
        *("invite", "create", "--org", "khon-kaen", "--role", "officer", "--uses", "3"),
        *("--days", "7"),
    )
    code = _created_code(result)
    summary = result.stdout.splitlines()[-2]
    assert "khon-kaen" in summary
    assert "officer" in summary
    assert "3 uses" in summary
    assert "+07:00" in summary  # shown in Asia/Bangkok
    invite = asyncio.run(_invite(programme_url, code))
    assert invite is not None
    assert invite.role is Role.OFFICER
    assert (invite.max_uses, invite.uses, invite.revoked_at) == (3, 0, None)
    assert before + timedelta(days=7) <= invite.expires_at <= utcnow() + timedelta(days=7)
    assert asyncio.run(_audit_targets(programme_url, "invite.create")) == [f"invite:{code}"]


def test_invite_list_shows_usable_invites_by_organisation(programme_url: str) -> None:
    """`invite list` shows a new invite, and `--org` narrows the list to one organisation."""
    code = _created_code(
        _citybot(programme_url, "invite", "create", "--org", "depa", "--role", "coordinator")
    )
    listed = _citybot(programme_url, "invite", "list")
    assert listed.exit_code == 0, listed.output
    line = next(line for line in listed.stdout.splitlines() if line.startswith(code))
    assert line.split()[1:4] == ["depa", "coordinator", "0/1"]
    assert line.endswith("usable")
    assert code in _citybot(programme_url, "invite", "list", "--org", "depa").stdout
    other = _citybot(programme_url, "invite", "list", "--org", "khon-kaen")
    assert other.exit_code == 0
    assert code not in other.stdout


def test_invite_revoke_makes_the_code_unusable(programme_url: str) -> None:
    """`invite revoke` revokes the invite, audits it, hides it from the list; twice is harmless."""
    code = _created_code(
        _citybot(programme_url, "invite", "create", "--org", "siam-infra", "--role", "partner")
    )
    revoked = _citybot(programme_url, "invite", "revoke", code.lower())
    assert revoked.exit_code == 0, revoked.output
    assert f"invite {code} revoked at" in revoked.stdout
    invite = asyncio.run(_invite(programme_url, code))
    assert invite is not None
    assert invite.revoked_at is not None
    assert asyncio.run(_audit_targets(programme_url, "invite.revoke")) == [f"invite:{code}"]
    assert code not in _citybot(programme_url, "invite", "list").stdout
    everything = _citybot(programme_url, "invite", "list", "--all").stdout
    assert any(
        line.startswith(code) and line.endswith("revoked") for line in everything.split("\n")
    )
    again = _citybot(programme_url, "invite", "revoke", code)
    assert again.exit_code == 0
    assert "already revoked" in again.stdout
    assert len(asyncio.run(_audit_targets(programme_url, "invite.revoke"))) == 1


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["create", "--org", "atlantis", "--role", "officer"], ["'atlantis'", "khon-kaen"]),
        (["create", "--org", "khon-kaen", "--role", "mayor"], ["unknown role 'mayor'"]),
        (["create", "--org", "khon-kaen", "--role", "coordinator"], ["'coordinator'", "city"]),
        (["create", "--org", "depa", "--role", "officer"], ["'officer'", "'depa', an agency"]),
        (["create", "--org", "khon-kaen", "--role", "officer", "--uses", "0"], ["--uses"]),
        (["create", "--org", "khon-kaen", "--role", "officer", "--days", "366"], ["--days"]),
        (["list", "--org", "atlantis"], ["'atlantis'"]),
        (["revoke", "ABCD2345"], ["no invite", "ABCD2345"]),
    ],
    ids=[
        "unknown-org",
        "unknown-role",
        "coordinator-for-city",
        "officer-for-depa",
        "zero-uses",
        "too-many-days",
        "list-unknown-org",
        "revoke-missing",
    ],
)
def test_operator_mistakes_are_one_line_errors(
    programme_url: str, args: list[str], fragments: list[str]
) -> None:
    """A mistake in an invite command exits 2 with one `error:` line, no traceback, no invite."""
    result = _citybot(programme_url, "invite", *args)
    _assert_one_line_error(result, *fragments)
    assert result.stdout == ""
    assert "no usable invites" in _citybot(programme_url, "invite", "list").stdout


def test_unknown_organisation_on_an_unseeded_database_says_to_seed(database_url: str) -> None:
    """Without organisations the error points the operator at `citybot seed`."""
    result = _citybot(database_url, "invite", "create", "--org", "yala", "--role", "officer")
    _assert_one_line_error(result, "'yala'", "citybot seed")


# --- seed ----------------------------------------------------------------------------------------


def test_seed_loads_content_idempotently_and_invites_use_it(database_url: str) -> None:
    """`seed` loads content/ (twice is harmless); invites then work for the real slugs."""
    first = _citybot(database_url, "seed")
    assert first.exit_code == 0, first.output
    assert first.stdout.strip()
    again = _citybot(database_url, "seed")
    assert again.exit_code == 0, again.output
    _created_code(
        _citybot(database_url, "invite", "create", "--org", "bangkok", "--role", "executive")
    )
    _created_code(_citybot(database_url, "invite", "create", "--org", "depa", "--role", "admin"))
    wrong = _citybot(database_url, "invite", "create", "--org", "yala", "--role", "admin")
    _assert_one_line_error(wrong, "'admin'", "'yala'")


def test_seed_with_broken_content_is_a_one_line_error(tmp_path: Path) -> None:
    """A YAML mistake in CITYBOT_CONTENT_DIR stops `seed` with one line naming the file."""
    content = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_DIR, content)
    (content / "domains.yaml").write_text("domains:\n  - slug: [unclosed\n", encoding="utf-8")
    url = f"sqlite+aiosqlite:///{tmp_path}/citybot.db"
    env = {"DATABASE_URL": url, "CITYBOT_CONTENT_DIR": str(content)}
    result = runner.invoke(cli, ["seed"], env=env)
    _assert_one_line_error(result, "domains.yaml")
    missing = runner.invoke(cli, ["seed"], env=env | {"CITYBOT_CONTENT_DIR": str(tmp_path / "x")})
    _assert_one_line_error(missing, "content directory not found")


def test_worker_without_a_channel_is_a_one_line_error(database_url: str) -> None:
    """`citybot worker` with neither LINE nor Telegram configured says so and stops."""
    _assert_one_line_error(_citybot(database_url, "worker"), "neither LINE nor Telegram")


def test_demo_seed_is_refused_in_production(database_url: str) -> None:
    """Public demo invite codes never reach a production database."""
    result = runner.invoke(
        cli, ["seed", "--demo"], env={"DATABASE_URL": database_url, "CITYBOT_ENV": "production"}
    )
    _assert_one_line_error(result, "--demo", "CITYBOT_ENV=production")


def test_console_registers_with_a_code_when_piped(database_url: str) -> None:
    """`/start`, a code, `1` (consent), `/whoami` piped into `citybot console` registers."""
    assert _citybot(database_url, "seed").exit_code == 0
    code = _created_code(
        _citybot(database_url, "invite", "create", "--org", "khon-kaen", "--role", "officer")
    )
    result = runner.invoke(
        cli,
        ["console", "--user", "someone"],
        input=f"/start\n{code}\n1\n/whoami\n",
        env={"DATABASE_URL": database_url},
    )
    assert result.exit_code == 0, result.output
    assert "ยินยอม" in result.stdout
    assert "หน่วยงาน: จังหวัดขอนแก่น" in result.stdout
    assert "บทบาท: เจ้าหน้าที่เมือง" in result.stdout


def test_console_as_makes_a_registered_member(database_url: str) -> None:
    """`--as ORG:ROLE` starts as a member; a role that does not fit is a one-line error."""
    assert _citybot(database_url, "seed").exit_code == 0
    result = runner.invoke(
        cli,
        ["console", "--user", "dev", "--as", "depa:coordinator"],
        input="/whoami\n",
        env={"DATABASE_URL": database_url},
    )
    assert result.exit_code == 0, result.output
    assert "ผู้ประสานงาน depa" in result.stdout
    wrong = runner.invoke(
        cli, ["console", "--as", "yala:admin"], input="", env={"DATABASE_URL": database_url}
    )
    _assert_one_line_error(wrong, "'admin'", "'yala'")


def test_issue10_console_as_replaces_earlier_registration(database_url: str) -> None:
    """A second `--as` with another ORG:ROLE makes the console account that, and audits it."""
    assert _citybot(database_url, "seed", "--demo").exit_code == 0

    def whoami_as(wanted: str) -> str:
        result = runner.invoke(
            cli,
            ["console", "--user", "dev", "--as", wanted],
            input="/whoami\n",
            env={"DATABASE_URL": database_url},
        )
        assert result.exit_code == 0, result.output
        return result.stdout

    executive = whoami_as("khon-kaen:executive")
    partner = whoami_as("isan-mobility-tech:partner")
    again = whoami_as("isan-mobility-tech:partner")

    assert "หน่วยงาน: จังหวัดขอนแก่น" in executive and "บทบาท: ผู้บริหารเมือง" in executive
    assert "หน่วยงาน: บริษัท อีสานโมบิลิตี้เทค จำกัด" in partner
    assert "บทบาท: บริษัทพันธมิตร" in partner and "ผู้บริหารเมือง" not in partner
    assert again == partner
    registered = asyncio.run(_audit_targets(database_url, "member.register"))
    # Two registrations, newest first: the same ORG:ROLE again is no new one.
    assert registered == ["organisation:isan-mobility-tech", "organisation:khon-kaen"]


# --- settings and databases ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DATABASE_URL": "sqlite:///x.db"}, "DATABASE_URL"),
        ({"LINE_CHANNEL_SECRET": "s3cret"}, "LINE_CHANNEL_ACCESS_TOKEN"),
        ({"CITYBOT_TIMEZONE": "Mars/Olympus"}, "CITYBOT_TIMEZONE"),
        ({"CITYBOT_LOG_LEVEL": "LOUD"}, "CITYBOT_LOG_LEVEL"),
        ({"TELEGRAM_BOT_TOKEN": "1:a", "TELEGRAM_WEBHOOK_SECRET": "s3cret"}, "WEBHOOK_SECRET"),
    ],
    ids=[
        "sync-database-url",
        "line-secret-without-token",
        "unknown-zone",
        "log-level",
        "guessable-webhook-secret",
    ],
)
def test_bad_settings_are_one_line_errors_naming_the_variable(
    tmp_path: Path, env: dict[str, str], variable: str
) -> None:
    """Inconsistent settings stop any command with exit 2 and the variable's name."""
    url = f"sqlite+aiosqlite:///{tmp_path}/citybot.db"
    result = runner.invoke(cli, ["invite", "list"], env={"DATABASE_URL": url, **env})
    _assert_one_line_error(result, variable)
    assert "s3cret" not in result.output


def test_unreachable_databases_are_one_line_errors(tmp_path: Path) -> None:
    """A missing SQLite directory or a PostgreSQL server that refuses is reported, not raised."""
    missing_dir = f"sqlite+aiosqlite:///{tmp_path}/nowhere/citybot.db"
    _assert_one_line_error(_citybot(missing_dir, "invite", "list"), "DATABASE_URL", "nowhere")
    refused = f"postgresql+asyncpg://postgres:pw@127.0.0.1:{free_port()}/citybot"
    result = _citybot(refused, "invite", "list")
    _assert_one_line_error(result, "cannot reach the database", "***")
    assert ":pw@" not in result.output


@pytest.mark.postgres
def test_missing_postgres_database_is_a_one_line_error(postgres_template: str) -> None:
    """A PostgreSQL URL naming a database that does not exist is reported with its name."""
    name = f"citybot_absent_{uuid.uuid4().hex[:8]}"
    url = POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    _assert_one_line_error(_citybot(url, "invite", "list"), name, "does not exist")


def test_unmigrated_database_says_to_upgrade(database_url: str) -> None:
    """On a database without the schema, commands say to run `citybot db upgrade`."""
    downgrade(database_url)
    _assert_one_line_error(_citybot(database_url, "invite", "list"), "citybot db upgrade")


def test_db_upgrade_migrates_the_database(database_url: str) -> None:
    """`db upgrade` brings an empty database to the latest schema, and is idempotent."""
    downgrade(database_url)
    first = _citybot(database_url, "db", "upgrade")
    assert first.exit_code == 0, first.output
    assert "latest schema" in first.stdout
    assert _citybot(database_url, "db", "upgrade").exit_code == 0
    listed = _citybot(database_url, "invite", "list")
    assert listed.exit_code == 0, listed.output
    assert "no usable invites" in listed.stdout


def test_db_upgrade_into_a_missing_directory_is_a_one_line_error(tmp_path: Path) -> None:
    """Migrating a SQLite file in a directory that does not exist names the directory."""
    url = f"sqlite+aiosqlite:///{tmp_path}/absent/citybot.db"
    _assert_one_line_error(_citybot(url, "db", "upgrade"), "absent")


def test_db_upgrade_on_a_newer_schema_is_a_one_line_error(database_url: str) -> None:
    """A database migrated by a newer release names a revision this one lacks: said plainly."""

    async def from_the_future() -> None:
        engine = create_engine(database_url)
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = '9999_next'"))
        await engine.dispose()

    asyncio.run(from_the_future())
    result = _citybot(database_url, "db", "upgrade")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    (error,) = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert "cannot migrate" in error
    assert "9999_next" in error


# --- the real console script ---------------------------------------------------------------------


def test_console_script_help_lists_the_commands(tmp_path: Path) -> None:
    """The installed `citybot --help` runs and names every command group."""
    done = run_process(CITYBOT, "--help", env=clean_env(), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for command in ("serve", "seed", "db", "invite"):
        assert command in done.stdout


def test_python_dash_m_bot_creates_an_invite_in_a_real_process(tmp_path: Path) -> None:
    """`citybot db upgrade` then `python -m bot invite create` work as separate processes."""
    url = f"sqlite+aiosqlite:///{tmp_path}/citybot.db"
    env = clean_env(DATABASE_URL=url)

    upgraded = run_process(CITYBOT, "db", "upgrade", env=env, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    asyncio.run(_add_organisations(url))
    create = (sys.executable, "-m", "bot", "invite", "create", "--org", "khon-kaen", "--role")
    created = run_process(*create, "executive", env=env, cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    code = created.stdout.splitlines()[-1]
    assert CODE.match(code)
    invite = asyncio.run(_invite(url, code))
    assert invite is not None
    assert invite.role is Role.EXECUTIVE
    wrong = run_process(*create, "admin", env=env, cwd=tmp_path)
    assert wrong.returncode == 2
    assert wrong.stderr.splitlines() == [
        "error: role 'admin' does not fit 'khon-kaen', a city (it takes executive or officer)"
    ]
    assert wrong.stdout == ""


@pytest.mark.parametrize(
    "command",
    [("seed",), ("invite", "list"), ("announce", "send"), ("telegram", "delete-webhook")],
)
def test_issue10_flags_are_plain_flags(command: tuple[str, ...]) -> None:
    """`--help` shows flags without a `<bool>` value, and a value after a flag is refused."""
    shown = runner.invoke(cli, [*command, "--help"])
    assert shown.exit_code == 0, shown.output
    assert "<bool>" not in shown.output and "BOOLEAN" not in shown.output


def test_issue10_a_flag_takes_no_value(database_url: str) -> None:
    """`seed --demo true` is a usage error (the flag is `--demo` alone), and seeds nothing."""
    result = _citybot(database_url, "seed", "--demo", "true")
    assert result.exit_code == 2
    assert "unexpected extra argument" in result.output.casefold()
