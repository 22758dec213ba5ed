"""Follow-up questions in a thread: stored turns, elliptical follow-ups resolved against the thread's topic,
and reference numbers kept consistent across the thread's answers.

A follow-up such as "and the dose?" says nothing about the condition; retrieval would search for doses of
anything. `resolve_followup` prefixes the thread's topic (the main condition of its first question) unless
the follow-up names a condition of its own. The rules are deterministic so a resolved question can be
explained: every `Answer` carries its `resolved_question`.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone

from pydantic import BaseModel, Field

from medoracle.compose.references import continue_numbers, reference_key
from medoracle.editorial.repository import EditorialRepository
from medoracle.errors import BadInput, PermissionDenied
from medoracle.types import Answer, Section, Statement
from medoracle.understand.topic import FOLLOWUP_LEAD, extract_topic, names_condition, overlaps

__all__ = [
    "NotYourThread",
    "Thread",
    "ThreadStore",
    "Turn",
    "UnknownThread",
    "earlier_numbers",
    "extract_topic",
    "names_condition",
    "renumber_with_thread",
    "resolve_followup",
    "source_numbers",
    "thread_as_answer",
]


class UnknownThread(BadInput):
    """No thread has this id."""


class NotYourThread(PermissionDenied):
    """The thread was started in another browser or account: only its owner reads and continues it."""


class Turn(BaseModel):
    """One question of a thread and the answer it got."""

    n: int = Field(description="1-based position in the thread.")
    question: str = Field(description="The question as the user asked it.")
    resolved_question: str | None = Field(None, description="As rewritten with the thread's topic, if it was.")
    answer: Answer
    created_at: str


class Thread(BaseModel):
    """A conversation: its topic (the condition it is about) and its turns, oldest first."""

    id: str
    title: str = ""
    topic: str = Field("", description="Main condition phrase, from the first question that names one.")
    created_at: str
    owner: str = Field("", description="Who may read and continue it: 'user:<name>', 'browser:<id>', or '' "
                                       "for whoever holds the id (CLI, anonymous API).")
    turns: list[Turn] = Field(default_factory=list)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class ThreadStore:
    """Threads in the editorial repository, so a conversation continues on any server."""

    def __init__(self, repository: EditorialRepository) -> None:
        self.repository = repository

    def create(self, title: str = "", owner: str = "") -> str:
        """A new empty thread; returns its id."""
        thread_id = str(uuid.uuid4())
        self.repository.create_thread(thread_id, (title or "").strip()[:300], _now(), owner)
        return thread_id

    def _row(self, thread_id: str) -> tuple[str, str, str, str]:
        row = self.repository.thread(str(thread_id))
        if row is None:
            raise UnknownThread(f"no thread with id {thread_id!r}; start one without --thread to get an id")
        return row

    def get(self, thread_id: str) -> Thread:
        """The thread with its turns; `UnknownThread` if there is none with this id."""
        tid, title, topic, created = self._row(thread_id)
        return Thread(id=tid, title=title, topic=topic, created_at=created, turns=self.turns(tid),
                      owner=self.repository.thread_owner(tid) or "")

    def turns(self, thread_id: str) -> list[Turn]:
        self._row(thread_id)
        return [Turn(n=n, question=q, resolved_question=rq, answer=Answer.model_validate_json(a), created_at=at)
                for n, q, rq, a, at in self.repository.thread_turns(str(thread_id))]

    def start(self, answer: Answer, title: str = "", owner: str = "") -> str:
        """A new thread whose first turn is `answer`; returns its id. One transaction, so one commit (a server
        starts a thread with every first question, and each commit waits for the disk) and never a thread
        left empty."""
        thread_id = str(uuid.uuid4())
        with self.repository.transaction():
            self.repository.create_thread(thread_id, (title or "").strip()[:300], _now(), owner)
            self._append(thread_id, answer, topic="")
        return thread_id

    def append(self, thread_id: str, answer: Answer) -> int:
        """Record an answer as the thread's next turn; returns its number. Sets or moves the thread's topic."""
        _, title, topic, _ = self._row(thread_id)
        return self._append(thread_id, answer, topic=topic)

    def _append(self, thread_id: str, answer: Answer, *, topic: str) -> int:
        question = answer.question
        new_topic = topic
        if not topic:
            new_topic = extract_topic(question)
        elif names_condition(question) and not overlaps(question, topic):
            new_topic = extract_topic(question)  # the user moved on to another condition
        stored = answer.model_copy(update={"thread_id": thread_id})
        try:
            return self.repository.append_turn(thread_id, question=question,
                                               resolved_question=answer.resolved_question,
                                               answer_json=stored.model_dump_json(), topic=new_topic, at=_now())
        except BadInput as exc:  # deleted (pruned) between the check and the write
            raise UnknownThread(str(exc)) from None

    def prune(self, older_than_days: float) -> int:
        """Delete threads not used for `older_than_days` days; returns how many went."""
        if older_than_days <= 0:
            raise BadInput("thread retention must be a positive number of days")
        cutoff = datetime.now(timezone.utc) - timedelta(days=older_than_days)
        return self.repository.prune_threads(cutoff.isoformat(timespec="seconds"))


# ---------------------------------------------------------------- follow-up resolution

def _thread_topic(thread: Thread) -> str:
    if thread.topic:
        return thread.topic
    if thread.turns:
        return extract_topic(thread.turns[0].question)
    return extract_topic(thread.title) if thread.title else ""


def resolve_followup(question: str, thread: Thread) -> str:
    """The follow-up rewritten against the thread's topic, or unchanged when it needs no context.

    Unchanged when the thread has no topic yet, when the follow-up already mentions the topic, or when it
    names a condition of its own (the user changed subject). Otherwise: "<Topic>: <follow-up>".
    """
    q = question.strip()
    topic = _thread_topic(thread)
    if not q or not topic or not (thread.turns or thread.topic):
        return q
    if overlaps(q, topic):
        return q
    if names_condition(q):
        return q
    body = FOLLOWUP_LEAD.sub("", q)
    if body and not re.match(r"^(?:what|which|who|when|where|why|how|is|are|can|could|should|would|will|do|"
                             r"does|did|may|might)\b", body, re.I):
        body = "what about " + body  # "and the dose?" -> "what about the dose?"
    return f"{topic[:1].upper()}{topic[1:]}: {body}"


# ---------------------------------------------------------------- reference numbers in a thread


def renumber_with_thread(answer: Answer, thread: Thread) -> Answer:
    """A copy of `answer` for the thread: numbered from [1] like any answer read on its own (as the verifier
    numbered it, by first use), never continuing the thread's numbers: a page that shows [1] and [12] with
    nothing between reads as missing references. `source_numbers` keeps the thread's mapping."""
    return answer.model_copy(deep=True, update={"thread_id": thread.id})


def source_numbers(thread: Thread) -> dict[str, dict[int, int]]:
    """Each source of the thread → {turn number: its reference number in that turn's answer}."""
    numbers: dict[str, dict[int, int]] = {}
    for turn in thread.turns:
        for ref in turn.answer.references:
            numbers.setdefault(reference_key(ref), {}).setdefault(turn.n, ref.n)
    return numbers


def earlier_numbers(thread: Thread, turn: Turn) -> dict[int, list[tuple[int, int]]]:
    """For each reference of `turn`: [(earlier turn, its number there)], for "also [3] in question 1"."""
    numbers = source_numbers(thread)
    return {ref.n: [(t, n) for t, n in sorted(numbers.get(reference_key(ref), {}).items()) if t < turn.n]
            for ref in turn.answer.references}


def thread_as_answer(thread: Thread) -> Answer:
    """The whole conversation as one answer, to publish as one article: the first answer, then each answered
    follow-up's bottom line and sections (titled with its question), with one reference list numbered from
    [1]: a source cited again keeps its number, a new one continues (`continue_numbers`)."""
    answered = [t for t in thread.turns if not t.answer.abstained]
    if not answered:
        raise BadInput("nothing to publish: no question of this conversation got an answer")
    out = answered[0].answer.model_copy(deep=True, update={"thread_id": None})
    for turn in answered[1:]:
        part = continue_numbers(turn.answer, out.references)
        asked = turn.resolved_question or turn.question
        if part.summary:  # a follow-up's bottom line opens its part of the article
            out.sections.append(Section(key=f"bottom_line_q{turn.n}", title=f"Follow-up: {asked}", statements=[
                Statement(text=part.summary, citations=list(part.summary_citations), grade=part.summary_grade)]))
        for sec in part.sections:
            out.sections.append(sec.model_copy(update={"key": f"{sec.key}_q{turn.n}",
                                                       "title": f"{sec.title} (follow-up: {asked})"}))
        known = {r.n for r in out.references}
        out.references.extend(r for r in part.references if r.n not in known)
    out.references.sort(key=lambda r: r.n)
    out.follow_ups = list(answered[-1].answer.follow_ups)
    return out
