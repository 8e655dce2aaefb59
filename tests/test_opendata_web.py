"""The open-data API over HTTP (issue 16, part 4): the records against their published schema and
the demo data, nothing about people, ETag and 304, withheld cities, the switch, the package."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest
from sqlalchemy import select

from bot.seeding import run_seed
from bot.settings import DEFAULT_CONTENT_DIR, SettingsError, load_settings
from bot.web import create_web_app
from db.enums import MilestoneStatus, OrganisationKind
from db.models import Identity, Member, Milestone, Organisation, Plan, ProgressUpdate
from db.repositories.progress import record_progress
from tests.conftest import MATERIALS_BASE_URL, AppFactory

BASE = "http://citybot.test"
API = "/api/v1"
FIELDS = ["org", "org_name_th", "org_name_en", "plan", "milestone", "status", "percent"]
FIELDS += ["due", "updated_at"]
CITIES = 14
MILESTONES = 10  # per city (content/milestones.yaml)


@pytest.fixture
async def demo(seeded_database_url: str) -> str:
    """The content and the demo (`citybot seed --demo`): cities with reports, names and notes."""
    await run_seed(
        database_url=seeded_database_url,
        content_dir=DEFAULT_CONTENT_DIR,
        materials_base_url=MATERIALS_BASE_URL,
        demo=True,
    )
    return seeded_database_url


async def _client(make_app: AppFactory, **settings: Any) -> httpx.AsyncClient:
    web = create_web_app(await make_app(**settings))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url=BASE)


@pytest.fixture
async def client(demo: str, make_app: AppFactory) -> AsyncIterator[httpx.AsyncClient]:
    """The web app on the demo database, default settings (open data on, nothing withheld)."""
    async with await _client(make_app) as client:
        yield client


def _csv(body: bytes) -> list[dict[str, str]]:
    text = body.decode("utf-8")
    assert not text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == FIELDS
    return [dict(zip(FIELDS, row, strict=True)) for row in rows[1:]]


async def test_json_and_csv_records_follow_the_schema_and_the_demo(
    client: httpx.AsyncClient, make_app: AppFactory
) -> None:
    """One record per city × milestone, exactly the published fields and types, the demo's
    reports as they stand, sorted by city then plan; CSV the same records as text."""
    answer = await client.get(f"{API}/progress.json")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json; charset=utf-8"
    assert answer.headers["cache-control"] == "public, max-age=300"
    assert answer.headers["access-control-allow-origin"] == "*"
    records = answer.json()
    assert len(records) == CITIES * MILESTONES
    assert all(list(record) == FIELDS for record in records)
    assert len({(r["org"], r["milestone"]) for r in records}) == len(records)
    assert [r["org"] for r in records] == sorted(r["org"] for r in records)

    app = (await make_app()).sessions
    async with app() as session:
        cities = {
            o.slug: o
            for o in await session.scalars(
                select(Organisation).where(Organisation.kind == OrganisationKind.CITY)
            )
        }
    assert {r["org"] for r in records} == set(cities)
    statuses = {status.value for status in MilestoneStatus}
    for record in records:
        city = cities[record["org"]]
        assert (record["org_name_th"], record["org_name_en"]) == (city.name_th, city.name_en)
        assert record["status"] in statuses and isinstance(record["percent"], int)
        assert 0 <= record["percent"] <= 100
        assert record["due"] is None or date.fromisoformat(record["due"])
        if record["updated_at"] is not None:
            assert datetime.fromisoformat(record["updated_at"]).utcoffset() is not None
    pattaya = {r["milestone"]: r for r in records if r["org"] == "pattaya"}
    assert pattaya["pmc-established"]["status"] == "done"
    assert pattaya["pmc-established"]["percent"] == 100
    assert pattaya["pmc-established"]["updated_at"] is not None
    assert any(r["updated_at"] is None for r in records if r["org"] == "chiang-mai")

    table = await client.get(f"{API}/progress.csv")
    assert table.status_code == 200
    assert table.headers["content-type"] == "text/csv; charset=utf-8"
    rows = _csv(table.content)
    as_text = [{k: "" if v is None else str(v) for k, v in r.items()} for r in records]
    assert rows == as_text


async def test_nothing_about_people_is_published(
    client: httpx.AsyncClient, make_app: AppFactory
) -> None:
    """No member's or identity's name, no report's note or evidence, no identity id appears in
    any open-data body, though the demo has all of them."""
    sessions = (await make_app()).sessions
    async with sessions() as session:
        private = [
            *await session.scalars(select(Member.display_name)),
            *await session.scalars(select(Identity.display_name)),
            *await session.scalars(select(Identity.external_id)),
            *await session.scalars(select(ProgressUpdate.note)),
            *await session.scalars(select(ProgressUpdate.evidence_url)),
        ]
    private = [text for text in private if text]
    assert len(private) > 10  # the demo has people and notes to leak
    for path in ("progress.json", "progress.csv", "datapackage.json"):
        body = (await client.get(f"{API}/{path}")).content.decode("utf-8")
        assert not [text for text in private if text in body], path
        for word in ("updated_by", "note", "evidence", "member", "identity"):
            assert word not in body.lower(), (path, word)


async def test_etag_answers_304_until_a_milestone_moves(
    client: httpx.AsyncClient, make_app: AppFactory
) -> None:
    """Each resource has a strong ETag; `If-None-Match` with it is 304 without a body; a new
    report changes the ETag of both data resources, not the descriptor's."""
    paths = ("progress.json", "progress.csv", "datapackage.json")
    first = {path: await client.get(f"{API}/{path}") for path in paths}
    tags = {path: answer.headers["etag"] for path, answer in first.items()}
    assert len(set(tags.values())) == len(paths)
    for path, tag in tags.items():
        assert tag.startswith('"') and tag.endswith('"')
        again = await client.get(f"{API}/{path}", headers={"If-None-Match": tag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == tag
        assert again.headers["cache-control"] == "public, max-age=300"
        listed = await client.get(f"{API}/{path}", headers={"If-None-Match": f'"x", W/{tag}'})
        assert listed.status_code == 304
        stale = await client.get(f"{API}/{path}", headers={"If-None-Match": '"stale"'})
        assert stale.status_code == 200 and stale.content == first[path].content

    sessions = (await make_app()).sessions
    async with sessions() as session, session.begin():
        milestone = await session.scalar(
            select(Milestone)
            .join(Plan, Milestone.plan_id == Plan.id)
            .join(Organisation, Plan.organisation_id == Organisation.id)
            .where(Organisation.slug == "yala", Milestone.key == "pmc-established")
        )
        assert milestone is not None
        await record_progress(
            session=session,
            milestone=milestone,
            member_id=None,
            status=MilestoneStatus.IN_PROGRESS,
            percent=40,
            note="private words",
            channel=None,
            reported_at=datetime(2026, 12, 1, 3, 0, tzinfo=UTC),
        )
    for path in paths:
        answer = await client.get(f"{API}/{path}", headers={"If-None-Match": tags[path]})
        if path == "datapackage.json":
            assert answer.status_code == 304
            continue
        assert answer.status_code == 200 and answer.headers["etag"] != tags[path]
        assert b"private words" not in answer.content
    moved = await client.get(f"{API}/progress.json")
    yala = next(
        r for r in moved.json() if (r["org"], r["milestone"]) == ("yala", "pmc-established")
    )
    assert (yala["status"], yala["percent"]) == ("in_progress", 40)
    assert yala["updated_at"] == "2026-12-01T03:00:00+00:00"


async def test_withheld_cities_are_absent_everywhere(demo: str, make_app: AppFactory) -> None:
    """CITYBOT_OPEN_DATA_WITHHELD removes its cities from the JSON and the CSV."""
    async with await _client(make_app, citybot_open_data_withheld="pattaya, Khon-Kaen") as client:
        records = (await client.get(f"{API}/progress.json")).json()
        rows = _csv((await client.get(f"{API}/progress.csv")).content)
    assert len(records) == len(rows) == (CITIES - 2) * MILESTONES
    for org in ("pattaya", "khon-kaen"):
        assert org not in {r["org"] for r in records} | {r["org"] for r in rows}


def test_an_unknown_withheld_slug_is_a_settings_error() -> None:
    """A mistyped or non-city slug stops the bot at start, naming the variable and the slug."""
    for typed in ("atlantis", "bangkok,depa"):
        with pytest.raises(SettingsError) as caught:
            load_settings(_env_file=None, citybot_open_data_withheld=typed)
        message = str(caught.value)
        assert message.startswith("CITYBOT_OPEN_DATA_WITHHELD: ")
        assert typed.split(",")[-1] in message and "bangkok" in message.split("cities:")[1]
    assert load_settings(
        _env_file=None, citybot_open_data_withheld=" yala ,phuket"
    ).open_data_withheld == {"yala", "phuket"}


async def test_switched_off_the_api_is_not_there(demo: str, make_app: AppFactory) -> None:
    """CITYBOT_OPEN_DATA=0: every open-data path answers as a path that does not exist."""
    async with await _client(make_app, citybot_open_data=False) as client:
        nowhere = await client.get("/no/such/path")
        for path in ("progress.json", "progress.csv", "datapackage.json"):
            answer = await client.get(f"{API}/{path}")
            assert answer.status_code == 404 and answer.content == nowhere.content


async def test_datapackage_describes_what_is_served(client: httpx.AsyncClient) -> None:
    """The descriptor is a tabular data package: name, title, licence, two resources whose
    paths resolve through the app to bodies with exactly the schema's fields (CSV header, JSON
    keys), the status enum and the percent range."""
    answer = await client.get(f"{API}/datapackage.json")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json; charset=utf-8"
    package = answer.json()
    assert package["profile"] == "tabular-data-package"
    assert package["name"] == "smart-city-progress" and package["title"]
    assert package["licenses"] and all({"name", "path"} <= set(x) for x in package["licenses"])
    kinds = {"csv": "text/csv", "json": "application/json"}
    assert sorted(r["format"] for r in package["resources"]) == sorted(kinds)
    for resource in package["resources"]:
        assert resource["mediatype"] == kinds[resource["format"]]
        assert resource["encoding"] == "utf-8"
        schema = resource["schema"]
        fields = {field["name"]: field for field in schema["fields"]}
        assert list(fields) == FIELDS
        assert {f["type"] for f in fields.values()} == {"string", "integer", "date", "datetime"}
        assert fields["status"]["constraints"]["enum"] == [s.value for s in MilestoneStatus]
        percent = fields["percent"]["constraints"]
        assert (percent["minimum"], percent["maximum"]) == (0, 100)
        assert schema["primaryKey"] == ["org", "milestone"]
        assert not resource["path"].startswith(("/", "http"))  # relative to the descriptor
        served = await client.get(urljoin(f"{BASE}{API}/datapackage.json", resource["path"]))
        assert served.status_code == 200
        assert served.headers["content-type"].startswith(resource["mediatype"])
        if resource["format"] == "csv":
            assert list(_csv(served.content)[0]) == list(fields)
        else:
            assert all(list(record) == list(fields) for record in served.json())


async def test_datapackage_paths_are_absolute_on_the_public_url(
    demo: str, make_app: AppFactory
) -> None:
    """With PUBLIC_BASE_URL the resources' paths are absolute URLs under it (what CKAN needs)."""
    settings = {"public_base_url": "https://city.example.org/bot/"}
    async with await _client(make_app, **settings) as client:
        package = json.loads((await client.get(f"{API}/datapackage.json")).content)
    assert sorted(r["path"] for r in package["resources"]) == [
        "https://city.example.org/bot/api/v1/progress.csv",
        "https://city.example.org/bot/api/v1/progress.json",
    ]
