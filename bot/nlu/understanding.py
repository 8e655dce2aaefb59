"""Intents and slots from a message: the lexicons' phrases weighed by a few general rules.

Rules, not a trained model: the programme's vocabulary is small and known (ten milestones, seven
domains, five stages, fourteen cities), messages are short, and a wrong guess may save a report.
A weighted-cue scorer over lexicons that editors can read and extend generalises to messages
nobody wrote down, explains itself, and needs nothing downloaded or trained. The rules:

- a milestone with a percent or a status word, not asked as a question, is a progress report
  (a percent below 100 is in progress unless a word says blocked; 100 or a done-word is done);
- the same asked as a question ("PMC เสร็จหรือยัง") is a progress query;
- otherwise each intent scores the weights of its cue words found, question words lift the
  query intents, the slots found break ties, and greetings or thanks give way to any content;
- too little evidence is `unknown`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial
from math import exp
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.imports import OnFirstUse
from bot.nlu.matching import Found, PhraseIndex, longest_first
from bot.nlu.text import Words, normalise
from bot.nlu.vocabulary import STRONG, Intent, SlotKind
from db.enums import MilestoneStatus

if TYPE_CHECKING:  # the lexicons (and the content readers) load with the understander
    from bot.nlu.lexicon import Lexicon

THRESHOLD = 1.75  # the least score an intent needs: a strong cue, or weak ones with support
SOCIAL = frozenset({Intent.GREETING, Intent.THANKS})
QUERIES = (Intent.PROGRESS_QUERY, Intent.DEADLINE_QUERY, Intent.QUESTION)
# When a message states several statuses ("started, but stuck"), the one that matters most.
STATUS_ORDER = (
    MilestoneStatus.BLOCKED,
    MilestoneStatus.NOT_STARTED,
    MilestoneStatus.DONE,
    MilestoneStatus.IN_PROGRESS,
)
SLOTS_OF: dict[Intent, tuple[SlotKind, ...]] = {
    Intent.PROGRESS_QUERY: (SlotKind.ORG, SlotKind.DOMAIN),
    Intent.DEADLINE_QUERY: (SlotKind.STAGE,),
    Intent.SUBMIT_ENTRY: (SlotKind.STAGE,),
    Intent.MATERIALS_SEARCH: (SlotKind.DOMAIN,),
    Intent.PARTNER_OFFER: (SlotKind.DOMAIN,),
    Intent.PARTNER_SEARCH: (SlotKind.DOMAIN,),
}
_PERCENT = re.compile(r"(?<![\d.])(\d{1,3})(?:\.\d+)?%")
_RATIO = re.compile(r"ร้อยละ(\d{1,3})(?![\d.])")
# "3 ใน 4", "3/4", "3 out of 4" of a milestone's work (a small whole, not a date or a count).
_SHARE = re.compile(r"(?<![\d/.])(\d{1,2})(?:ใน|/|outof|จาก)(\d{1,2})(?![\d/.])")
_HALF = re.compile(r"ครึ่งทาง|ครึ่งนึง|ครึ่งหนึ่ง|ครึ่ง|halfway|half")
# A bare number right after "got to"/"at", not followed by a unit: "ไปได้ 60 แล้ว", "at 60".
_BARE = re.compile(
    r"(?:ไปได้|ทำได้|ได้|ถึง|(?<!งบ)ประมาณ|ราว|at|reached|about|around)(\d{1,3})(?![\d.:/])"
    r"(?!วัน|คน|หน้า|โมง|บาท|ล้าน|พัน|หมื่น|แสน|ครั้ง|ชั่วโมง|ชม|นาที|เดือน|ปี|ชิ้น|แห่ง|ข้อ"
    r"|ท่าน|ราย|โครงการ|day|people|page|am|pm|hour|minute|month|year|person|item|million)"
)


@dataclass(frozen=True, slots=True)
class Understanding:
    """What a message means: an intent, how sure, and the slots it states."""

    text: str
    intent: Intent
    confidence: float
    slots: dict[str, Any] = field(default_factory=dict)

    def data(self) -> dict[str, Any]:
        """As `citybot nlu` prints it."""
        return {
            "text": self.text,
            "intent": self.intent.value,
            "confidence": self.confidence,
            "slots": dict(self.slots),
        }


def _percent(joined: str, *, bare: bool) -> int | None:
    """The percent a message states (60%, ร้อยละ 60, ครึ่งทาง; with `bare`, "ไปได้ 60")."""
    for pattern in (_PERCENT, _RATIO):
        match = pattern.search(joined)
        if match:
            value = int(match.group(1))
            return value if 0 <= value <= 100 else None
    if _HALF.search(joined):
        return 50
    if bare:
        share = _SHARE.search(joined)
        if share and 0 < int(share.group(2)) <= 10 and int(share.group(1)) <= int(share.group(2)):
            return round(100 * int(share.group(1)) / int(share.group(2)))
        match = _BARE.search(joined)
        if match and int(match.group(1)) <= 100:
            return int(match.group(1))
    return None


def _status(found: list[Found], percent: int | None) -> MilestoneStatus | None:
    """The milestone's status by the rules: stated words first, then the percent."""
    stated = {MilestoneStatus(f.phrase.value) for f in found if f.phrase.kind == SlotKind.STATUS}
    word = next((status for status in STATUS_ORDER if status in stated), None)
    if percent is None:
        return word
    if word in {MilestoneStatus.BLOCKED, MilestoneStatus.NOT_STARTED}:
        return word
    return MilestoneStatus.DONE if percent == 100 else MilestoneStatus.IN_PROGRESS


def _confidence(best: float, second: float) -> float:
    """How sure: grows with the evidence, shrinks as the runner-up comes close."""
    strength = 1.0 - exp(-best / 1.2)
    margin = (best - second + 1.0) / (best + 1.0)
    return round(max(0.0, min(0.99, strength * margin)), 2)


class Understander:
    """Understands messages with one lexicon; made once (a second or so), then fast."""

    def __init__(self, lexicon: Lexicon) -> None:
        from pythainlp.corpus.common import thai_words
        from pythainlp.tokenize import word_tokenize
        from pythainlp.util import dict_trie

        self._slots = PhraseIndex(lexicon.slots)
        self._cues = PhraseIndex(lexicon.cues)
        self._questions = PhraseIndex(lexicon.questions, free=True)
        self._topics = PhraseIndex(lexicon.topics)
        self._already = PhraseIndex(lexicon.already)
        thai = {word for word in lexicon.words() if any("\u0e00" <= ch <= "\u0e7f" for ch in word)}
        self._trie = dict_trie(set(thai_words()) | thai)
        self._split = word_tokenize

    @classmethod
    def from_content(cls, content_dir: Path) -> Understander:
        """The understander of `content_dir`'s lexicons (ContentError if they are wrong)."""
        from bot.nlu.lexicon import load_lexicon

        return cls(load_lexicon(content_dir))

    def words(self, text: str) -> Words:
        """The message normalised and split into words with the lexicons' words kept whole."""
        split = self._split(
            normalise(text), custom_dict=self._trie, engine="newmm", keep_whitespace=False
        )
        return Words.of(split)

    def understand(self, text: str) -> Understanding:
        """The intent, confidence and slots of one message."""
        words = self.words(text)
        slots_found = longest_first(self._slots.find_all(words))
        asked = bool(self._questions.find_all(words))
        first: dict[str, str] = {}
        for found in slots_found:
            first.setdefault(found.phrase.kind, found.phrase.value)
        milestone = first.get(SlotKind.MILESTONE)
        percent = _percent(words.joined, bare=milestone is not None)
        status = _status(slots_found, percent)
        already = status is None and percent is None and milestone and not asked
        if already and self._already.find_all(words):  # "ประกาศแผนเป็นนโยบายแล้ว": done
            status = MilestoneStatus.DONE
        scores = self._cue_scores(words)
        reported = percent is not None or status is not None
        self._weigh(scores, words, first, reported=reported, asked=asked)
        if any(score >= THRESHOLD for i, score in scores.items() if i not in SOCIAL):
            for intent in SOCIAL:
                scores[intent] = 0.0
        order = list(Intent)  # equal scores: the earlier intent of the contract, every time
        ranked = sorted(scores.items(), key=lambda item: (-item[1], order.index(item[0])))
        best, best_score = ranked[0] if ranked else (Intent.UNKNOWN, 0.0)
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        if best_score < THRESHOLD:
            sure = round(min(0.99, 1.0 - (1.0 - exp(-max(best_score, 0.0) / 2.0))), 2)
            return Understanding(text, Intent.UNKNOWN, sure)
        slots: dict[str, Any] = {}
        if best is Intent.PROGRESS_UPDATE:
            if milestone:
                slots["milestone"] = milestone
            if percent is not None:
                slots["percent"] = percent
            if status is not None:
                slots["status"] = status.value
        for kind in SLOTS_OF.get(best, ()):
            if kind.value in first:
                slots[kind.value] = first[kind.value]
        return Understanding(text, best, _confidence(best_score, max(second, 0.0)), slots)

    def domain(self, text: str) -> str | None:
        """The smart-city domain a message is about, whatever its intent: the domain slot
        `understand` would give an intent that takes one (for counting what people raise)."""
        for found in longest_first(self._slots.find_all(self.words(text))):
            if found.phrase.kind == SlotKind.DOMAIN:
                return found.phrase.value
        return None

    def _cue_scores(self, words: Words) -> defaultdict[Intent, float]:
        """Each intent's weight of cue words found (its own longest matches)."""
        by_intent: dict[str, list[Found]] = defaultdict(list)
        for match in self._cues.find_all(words):
            by_intent[match.phrase.kind].append(match)
        scores: defaultdict[Intent, float] = defaultdict(float)
        for intent, matches in by_intent.items():
            kept = longest_first(matches, heaviest=True)
            scores[Intent(intent)] = sum(match.phrase.weight for match in kept)
        return scores

    def _weigh(
        self,
        scores: defaultdict[Intent, float],
        words: Words,
        first: dict[str, str],
        *,
        reported: bool,
        asked: bool,
    ) -> None:
        """The rules of the module's docstring, on top of the cue words' weights."""
        milestone = SlotKind.MILESTONE.value in first
        if reported and not asked:
            scores[Intent.PROGRESS_UPDATE] += 5.0 if milestone else 2.0
        elif not reported:  # "how do I report progress?" is not a report
            scores[Intent.PROGRESS_UPDATE] -= 1.0
        if asked:
            strong = {intent for intent, score in scores.items() if score >= STRONG}
            scores[Intent.PROGRESS_UPDATE] -= 3.0
            scores[Intent.QUESTION] += 1.0
            for query in (Intent.PROGRESS_QUERY, Intent.DEADLINE_QUERY):
                scores[query] += 1.0 if query in strong else 0.5
            if (reported and milestone) or "%" in words.joined:  # "PMC เสร็จหรือยัง", "กี่ %"
                scores[Intent.PROGRESS_QUERY] += 3.0
            if scores[Intent.PARTNER_OFFER] > 0:
                scores[Intent.PARTNER_SEARCH] += 1.0  # cities ask who offers; firms state it
            about = set(first) - {SlotKind.ORG.value, SlotKind.STATUS.value}
            if not strong - {Intent.QUESTION} and (
                about or self._topics.find_all(words)
            ):  # a question about the programme (not the football) that is no other intent's
                scores[Intent.QUESTION] += 1.0
        elif SlotKind.STAGE.value in first:
            scores[Intent.SUBMIT_ENTRY] += 1.0  # naming a stage without asking: handing it in
        for intent, kinds in SLOTS_OF.items():  # slots lean towards the intents that take them
            if scores[intent] > 0 and any(kind.value in first for kind in kinds):
                scores[intent] += 0.5


_MADE: dict[Path, OnFirstUse[Understander]] = {}


async def understander_for(content_dir: Path) -> Understander:
    """The process's understander of `content_dir`: made the first time it is needed, in a
    worker thread (a second or so), so start-up and the event loop never wait for it."""
    made = _MADE.get(content_dir)
    if made is None:
        made = _MADE[content_dir] = OnFirstUse(partial(Understander.from_content, content_dir))
    return await made.load()
