"""content/ loads into a checked catalogue, and each kind of editing mistake is named precisely."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.seeding import ContentError, load_catalogue
from bot.settings import DEFAULT_CONTENT_DIR
from db.enums import OrganisationKind, PlanKind, Role
from db.repositories.invites import looks_like_code
from tests.seeding.runs import BASE_URL

DESIGN_SLUGS = [
    *("bangkok", "pattaya", "laem-chabang", "saen-suk", "phuket", "krabi", "songkhla"),
    *("khon-kaen", "nakhon-ratchasima", "ubon-ratchathani", "nakhon-si-thammarat", "yala"),
    *("chiang-mai", "phitsanulok", "depa"),
]
DOMAINS = ("environment", "economy", "mobility", "energy", "people", "living", "governance")
WORKSHOP = "workshops/framework-2018.yaml"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A private copy of content/ that a test may break."""
    return Path(shutil.copytree(DEFAULT_CONTENT_DIR, tmp_path / "content"))


def edit_yaml(content: Path, name: str, change: Callable[[Any], None]) -> None:
    """Rewrite one content file after `change` edits its parsed document in place."""
    path = content / name
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")


def edit_text(content: Path, name: str, old: str, new: str) -> None:
    """Replace one exact piece of a content file's text."""
    path = content / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not unique in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def by_slug(items: list[dict[str, Any]], slug: str, field: str = "slug") -> dict[str, Any]:
    """The mapping in a YAML list whose `field` is `slug`."""
    return next(item for item in items if item[field] == slug)


def load_error(content: Path) -> ContentError:
    """The error loading `content` raises (the test fails if it loads)."""
    with pytest.raises(ContentError) as caught:
        load_catalogue(content, materials_base_url=BASE_URL)
    return caught.value


def assert_names(error: ContentError, file: str, key: str) -> None:
    """The error points at `file` and `key`, in its fields and in the message a person reads."""
    assert (error.file, error.key) == (file, key), str(error)
    assert file in str(error)
    assert key in str(error)


# --- the real content ------------------------------------------------------------------------


def test_real_content_loads_with_the_programme_facts() -> None:
    """The shipped content has the 7 domains, the 15 organisations and ≥12 materials on all 7."""
    catalogue = load_catalogue(DEFAULT_CONTENT_DIR, materials_base_url=BASE_URL)

    assert tuple(domain.slug for domain in catalogue.domains) == DOMAINS
    assert [organisation.slug for organisation in catalogue.organisations] == DESIGN_SLUGS
    cities = [org for org in catalogue.organisations if org.kind is OrganisationKind.CITY]
    assert len(cities) == 14
    assert all(city.province and city.region for city in cities)
    assert catalogue.organisation("depa").kind is OrganisationKind.AGENCY
    province = catalogue.organisation("pattaya").province
    assert province is not None
    assert (province.th, province.en) == ("ชลบุรี", "Chon Buri")
    assert len(catalogue.materials) >= 12
    assert {material.domain for material in catalogue.materials} >= set(DOMAINS)
    workshop = catalogue.workshops[0]
    assert workshop.held_on.isoformat() == "2018-12-20"
    assert "Urban Innovation Vienna" in workshop.partners
    assert {faq.slug for faq in catalogue.faq} >= {
        "competition-rules",
        "boi-incentives",
        "city-data-platform",
        "report-progress",
    }


def test_relative_material_links_are_joined_to_the_configured_base_url() -> None:
    """A path in content becomes a link under CITYBOT_MATERIALS_BASE_URL; an https URL stays."""
    catalogue = load_catalogue(DEFAULT_CONTENT_DIR, materials_base_url="https://cdn.test/m/")
    urls = {material.slug: material.url for material in catalogue.materials}

    assert urls["city-data-platform-toolkit"] == (
        "https://cdn.test/m/framework-2018/11-city-data-platform-toolkit.pdf"
    )
    assert urls["urban-innovation-vienna"] == "https://www.urbaninnovation.at/"
    assert all(url.startswith("https://") for url in urls.values())


def test_milestone_template_follows_the_programme_path() -> None:
    """Every plan kind has milestones, in the order PMC → plans → policy → BOI → ASEAN."""
    catalogue = load_catalogue(DEFAULT_CONTENT_DIR, materials_base_url=BASE_URL)
    keys = [milestone.key for milestone in catalogue.milestones]

    assert {plan.kind for plan in catalogue.plans} == set(PlanKind)
    path = [
        "pmc-established",
        "area-plan-drafted",
        "policy-announced",
        "strategic-plan-drafted",
        "operating-framework-agreed",
        "boi-incentives-consulted",
        "competition-plan-submitted",
        "asean-network-joined",
    ]
    assert [key for key in keys if key in path] == path
    assert all(milestone.due_at and milestone.due_at.tzinfo for milestone in catalogue.milestones)


def test_competition_due_times_are_bangkok_local_stored_as_utc() -> None:
    """`2027-02-26T16:30` means 16:30 in Bangkok (09:30 UTC); reminders 14, 3 and 1 day before."""
    catalogue = load_catalogue(DEFAULT_CONTENT_DIR, materials_base_url=BASE_URL)
    competition = catalogue.competitions[0]
    stages = {stage.slug: stage for stage in competition.stages}

    assert competition.title.en == "Smart City Plan Competition"
    assert list(stages)[:3] == ["registration", "concept-note", "full-plan"]
    assert stages["registration"].due_at == datetime(2027, 2, 26, 9, 30, tzinfo=UTC)
    assert stages["registration"].reminder_offsets == (
        timedelta(days=14),
        timedelta(days=3),
        timedelta(days=1),
    )
    assert stages["results"].reminder_offsets == ()
    assert competition.rules_url == f"{BASE_URL}/competition-2027/rules.pdf"


def test_demo_invites_have_valid_fixed_codes_for_every_kind_of_role() -> None:
    """Demo codes fit the invite alphabet and cover executive, officer, partner and coordinator."""
    demo = load_catalogue(DEFAULT_CONTENT_DIR, materials_base_url=BASE_URL).demo

    assert all(looks_like_code(invite.code) for invite in demo.invites)
    assert {invite.role for invite in demo.invites} >= {
        Role.EXECUTIVE,
        Role.OFFICER,
        Role.PARTNER,
        Role.COORDINATOR,
    }
    assert all(invite.valid_for >= timedelta(days=365) for invite in demo.invites)
    assert {member.external_id for member in demo.members} >= {"demo-pattaya-executive"}


# --- mistakes, each named by file and key --------------------------------------------------


def test_missing_english_title_names_the_material(content: Path) -> None:
    """A material title without `en` is reported at materials.<slug>.title.en of its file."""

    def drop_english(document: Any) -> None:
        del by_slug(document["materials"], "boi-incentives")["title"]["en"]

    edit_yaml(content, WORKSHOP, drop_english)

    error = load_error(content)
    assert_names(error, WORKSHOP, "materials.boi-incentives.title.en")
    assert "English" in error.problem


def test_missing_thai_domain_name_names_the_domain(content: Path) -> None:
    """A domain name without `th` is reported at domains.<slug>.name.th."""

    def drop_thai(document: Any) -> None:
        del by_slug(document["domains"], "energy")["name"]["th"]

    edit_yaml(content, "domains.yaml", drop_thai)

    error = load_error(content)
    assert_names(error, "domains.yaml", "domains.energy.name.th")
    assert "Thai" in error.problem


def test_text_in_one_language_only_is_refused(content: Path) -> None:
    """A bilingual field given as a plain string is refused at that field."""

    def single_language(document: Any) -> None:
        by_slug(document["faq"], "boi-incentives")["answer"] = "Ask depa."

    edit_yaml(content, "faq.yaml", single_language)

    assert_names(load_error(content), "faq.yaml", "faq.boi-incentives.answer")


def test_unknown_domain_slug_names_the_material(content: Path) -> None:
    """A material in a domain that does not exist is reported with the slug it used."""

    def wrong_domain(document: Any) -> None:
        by_slug(document["materials"], "energy-showcase")["domain"] = "smart-energy"

    edit_yaml(content, WORKSHOP, wrong_domain)

    error = load_error(content)
    assert_names(error, WORKSHOP, "materials.energy-showcase.domain")
    assert "smart-energy" in error.problem


def test_unknown_domain_slug_in_an_organisation_is_refused(content: Path) -> None:
    """A city focused on a domain that does not exist is reported at its domains field."""

    def wrong_domain(document: Any) -> None:
        by_slug(document["organisations"], "krabi")["domains"].append("tourism")

    edit_yaml(content, "organisations.yaml", wrong_domain)

    error = load_error(content)
    assert_names(error, "organisations.yaml", "organisations.krabi.domains")
    assert "tourism" in error.problem


def test_unknown_organisation_slug_names_the_demo_member(content: Path) -> None:
    """A demo member of an organisation that does not exist is reported with that slug."""

    def wrong_city(document: Any) -> None:
        by_slug(document["members"], "phuket-officer", "key")["organisation"] = "atlantis"

    edit_yaml(content, "demo.yaml", wrong_city)

    error = load_error(content)
    assert_names(error, "demo.yaml", "members.phuket-officer.organisation")
    assert "atlantis" in error.problem


def test_unknown_organisation_slug_in_an_invite_is_refused(content: Path) -> None:
    """A demo invite to an organisation that does not exist is reported at its code."""

    def wrong_city(document: Any) -> None:
        by_slug(document["invites"], "KKNSTAFF", "code")["organisation"] = "khonkaen"

    edit_yaml(content, "demo.yaml", wrong_city)

    assert_names(load_error(content), "demo.yaml", "invites.KKNSTAFF.organisation")


def test_duplicate_organisation_slug_is_refused(content: Path) -> None:
    """Two organisations with one slug are reported at the second one."""

    def duplicate(document: Any) -> None:
        document["organisations"].append(dict(by_slug(document["organisations"], "yala")))

    edit_yaml(content, "organisations.yaml", duplicate)

    error = load_error(content)
    assert_names(error, "organisations.yaml", "organisations.yala.slug")
    assert "duplicate" in error.problem


def test_duplicate_material_slug_is_refused(content: Path) -> None:
    """Two materials with one slug are reported, even in one workshop file."""

    def duplicate(document: Any) -> None:
        copy = dict(by_slug(document["materials"], "boi-incentives"))
        document["materials"].append(copy)

    edit_yaml(content, WORKSHOP, duplicate)

    assert_names(load_error(content), WORKSHOP, "materials.boi-incentives.slug")


def test_duplicate_milestone_key_across_plans_is_refused(content: Path) -> None:
    """A milestone key used in two plans is reported: progress reports name milestones by key."""

    def duplicate(document: Any) -> None:
        policy = by_slug(document["plans"], "policy", "kind")
        framework = by_slug(document["plans"], "framework", "kind")
        framework["milestones"].append(dict(policy["milestones"][0]))

    edit_yaml(content, "milestones.yaml", duplicate)

    assert_names(
        load_error(content), "milestones.yaml", "plans.framework.milestones.pmc-established.key"
    )


def test_duplicate_yaml_key_is_refused_not_silently_overwritten(content: Path) -> None:
    """A mapping that repeats a key is an error naming the key, not a silently dropped value."""
    edit_text(
        content, "domains.yaml", "  - slug: economy\n", "  - slug: economy\n    slug: economics\n"
    )

    error = load_error(content)
    assert_names(error, "domains.yaml", "slug")
    assert "duplicate key" in error.problem


def test_unknown_field_is_refused(content: Path) -> None:
    """A misspelt optional field is reported rather than silently ignored."""

    def misspell(document: Any) -> None:
        material = by_slug(document["materials"], "living-showcase")
        material["tag"] = material.pop("tags")

    edit_yaml(content, WORKSHOP, misspell)

    error = load_error(content)
    assert_names(error, WORKSHOP, "materials.living-showcase.tag")
    assert "unknown field" in error.problem


def test_misspelt_required_field_is_named_with_a_hint(content: Path) -> None:
    """A required field that is missing because it was misspelt points at the misspelling."""

    def misspell(document: Any) -> None:
        material = by_slug(document["materials"], "living-showcase")
        material["summery"] = material.pop("summary")

    edit_yaml(content, WORKSHOP, misspell)

    error = load_error(content)
    assert_names(error, WORKSHOP, "materials.living-showcase.summary")
    assert "'summery'" in error.problem


def test_unknown_material_kind_is_refused(content: Path) -> None:
    """A material kind outside the vocabulary is reported with the choices."""

    def wrong_kind(document: Any) -> None:
        by_slug(document["materials"], "boi-incentives")["kind"] = "podcast"

    edit_yaml(content, WORKSHOP, wrong_kind)

    error = load_error(content)
    assert_names(error, WORKSHOP, "materials.boi-incentives.kind")
    assert "slides" in error.problem


def test_impossible_due_time_is_refused(content: Path) -> None:
    """A due time that is not an ISO date-time is reported at its stage."""

    def wrong_date(document: Any) -> None:
        stages = document["competitions"][0]["stages"]
        by_slug(stages, "concept-note")["due"] = "30/04/2027"

    edit_yaml(content, "competitions.yaml", wrong_date)

    assert_names(
        load_error(content),
        "competitions.yaml",
        "competitions.smart-city-plan-2027.stages.concept-note.due",
    )


def test_invite_code_with_look_alike_letters_is_refused(content: Path) -> None:
    """A demo code using O (looks like 0) cannot be typed reliably and is refused."""
    edit_text(content, "demo.yaml", "code: PHKTTEAM", "code: PHOTTEAM")

    assert_names(load_error(content), "demo.yaml", "invites.PHOTTEAM.code")


def test_missing_file_is_named(content: Path) -> None:
    """A required file that is missing is named."""
    (content / "faq.yaml").unlink()

    error = load_error(content)
    assert error.file == "faq.yaml"
    assert "missing" in str(error)
