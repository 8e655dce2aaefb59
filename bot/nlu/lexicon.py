"""The lexicons of `content/nlu/`, checked against the content they name, as phrases to find.

Each phrase is kept in its compact form (normalised, no spaces) with what it means: a slot value
(a milestone key, domain, stage, city or status) or a cue for an intent with its weight. A
mistake (an unknown key, a word listed twice for different things) is one ContentError line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.nlu.text import compact
from bot.nlu.vocabulary import STRONG, WEAK, Intent, Phrase, SlotKind
from bot.seeding.competitions import load_competitions
from bot.seeding.entry import Entry
from bot.seeding.milestones import load_plans
from bot.seeding.organisations import load_domains, load_organisations
from bot.seeding.reader import ContentError
from db.enums import MilestoneStatus, OrganisationKind

QUESTION_MARK = "question"  # the kind of question-word phrases
TOPIC = "topic"  # the kind of the programme's own words
ALREADY = "already"  # the kind of words that mean done right after a milestone


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Every phrase to look for, and the words the tokeniser must keep whole."""

    slots: tuple[Phrase, ...]
    cues: tuple[Phrase, ...]
    questions: tuple[Phrase, ...]
    topics: tuple[Phrase, ...]
    already: tuple[Phrase, ...]

    def words(self) -> set[str]:
        """The compact phrases, for the tokeniser's dictionary."""
        every = (*self.slots, *self.cues, *self.questions, *self.topics, *self.already)
        return {phrase.text for phrase in every}


def _words(entry: Entry) -> list[str]:
    """An entry's `words` in both languages."""
    words = entry.bilingual_tags("words")
    return [*words.th, *words.en]


def _phrases(texts: Iterable[str], kind: str, value: str, weight: float = 1.0) -> list[Phrase]:
    return [Phrase(compact(text), kind, value, weight) for text in texts if compact(text)]


def _slot_file(
    content_dir: Path,
    name: str,
    section: str,
    key_field: str,
    known: Iterable[str],
    kind: SlotKind,
) -> list[Phrase]:
    """The phrases of one slot lexicon; each entry names a known key once."""
    known_keys = set(known)
    file = Entry.top(content_dir, f"nlu/{name}")
    seen: dict[str, str] = {}
    phrases: list[Phrase] = []
    for entry in file.entries(section, key_field=key_field):
        key = entry.text(key_field, max_length=80)
        if key not in known_keys:
            entry.fail(key_field, f"unknown {kind.value} {key!r}")
        entry.unique(key_field, key, seen, "above")
        phrases += _phrases(_words(entry), kind, key)
    if kind is SlotKind.STATUS:
        already = file.bilingual_tags("already")
        phrases += _phrases([*already.th, *already.en], ALREADY, MilestoneStatus.DONE.value)
    file.done()
    return phrases


def _check_distinct(file: str, phrases: Iterable[Phrase]) -> None:
    """A phrase may mean one slot value only (the same word for two cities is a mistake)."""
    meaning: dict[tuple[str, str], str] = {}
    for phrase in phrases:
        known = meaning.setdefault((phrase.kind, phrase.text), phrase.value)
        if known != phrase.value:
            problem = (
                f"{phrase.kind} word {phrase.text!r} means both {known!r} and {phrase.value!r}"
            )
            raise ContentError(file, "", problem)


def load_lexicon(content_dir: Path) -> Lexicon:
    """Read and check `content/nlu/*.yaml` against the milestones, domains, stages and cities."""
    domains = load_domains(content_dir)
    domain_slugs = {domain.slug: domain for domain in domains}
    cities = [
        organisation
        for organisation in load_organisations(content_dir, domain_slugs)
        if organisation.kind is OrganisationKind.CITY
    ]
    milestones = [m.key for plan in load_plans(content_dir, domain_slugs) for m in plan.milestones]
    stages = [
        stage.slug
        for competition in load_competitions(content_dir, "https://content.invalid/")
        for stage in competition.stages
    ]
    slots = [
        *_slot_file(content_dir, "milestones.yaml", "milestones", "key", milestones,
                    SlotKind.MILESTONE),
        *_slot_file(content_dir, "domains.yaml", "domains", "slug", domain_slugs, SlotKind.DOMAIN),
        *_slot_file(content_dir, "stages.yaml", "stages", "slug", stages, SlotKind.STAGE),
        *_slot_file(content_dir, "places.yaml", "organisations", "slug",
                    [city.slug for city in cities], SlotKind.ORG),
        *_slot_file(content_dir, "statuses.yaml", "statuses", "status",
                    [status.value for status in MilestoneStatus], SlotKind.STATUS),
    ]  # fmt: skip
    for city in cities:  # a city's own names are understood without listing them again
        slots += _phrases([city.name.th, city.name.en], SlotKind.ORG, city.slug)
    for domain in domains:
        slots += _phrases([domain.name.th, domain.name.en, domain.slug], SlotKind.DOMAIN,
                          domain.slug)  # fmt: skip
    already = [phrase for phrase in slots if phrase.kind == ALREADY]
    slots = [phrase for phrase in slots if phrase.kind != ALREADY]
    _check_distinct("nlu/*.yaml", slots)
    cues, questions, topics = _intent_file(content_dir)
    return Lexicon(
        tuple(dict.fromkeys(slots)), tuple(cues), tuple(questions), tuple(topics), tuple(already)
    )


def _intent_file(content_dir: Path) -> tuple[list[Phrase], list[Phrase], list[Phrase]]:
    """The intents' strong and weak cues, the question words and the programme's words."""
    file = Entry.top(content_dir, "nlu/intents.yaml")
    cues: list[Phrase] = []
    seen: dict[str, str] = {}
    listed = {Intent.UNKNOWN}
    for entry in file.entries("intents", key_field="intent"):
        intent = entry.choice("intent", Intent)
        entry.unique("intent", intent.value, seen, "above")
        listed.add(intent)
        for level, weight in (("strong", STRONG), ("weak", WEAK)):
            words = entry.bilingual_tags(level)
            cues += _phrases([*words.th, *words.en], intent.value, intent.value, weight)
    missing = sorted(intent.value for intent in Intent if intent not in listed)
    if missing:
        file.fail("intents", f"missing {', '.join(missing)}")
    questions = file.bilingual_tags("questions")
    topics = file.bilingual_tags("topics")
    file.done()
    marks = _phrases([*questions.th, *questions.en], QUESTION_MARK, QUESTION_MARK)
    return cues, marks, _phrases([*topics.th, *topics.en], TOPIC, TOPIC)
