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

from medoracle.compose.references import continue_numbers
from medoracle.editorial.repository import EditorialRepository
from medoracle.errors import BadInput
from medoracle.types import Answer
from medoracle.understand.topic import FOLLOWUP_LEAD, extract_topic, names_condition, overlaps

__all__ = ["ThreadStore", "Thread", "Turn", "UnknownThread", "resolve_followup", "renumber_with_thread",
           "extract_topic", "names_condition"]


class UnknownThread(BadInput):
    """No thread has this id."""


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
    turns: list[Turn] = Field(default_factory=list)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class ThreadStore:
    """Threads in the editorial repository, so a conversation continues on any server."""

    def __init__(self, repository: EditorialRepository) -> None:
        self.repository = repository

    def create(self, title: str = "") -> str:
        """A new empty thread; returns its id."""
        thread_id = str(uuid.uuid4())
        self.repository.create_thread(thread_id, (title or "").strip()[:300], _now())
        return thread_id

    def _row(self, thread_id: str) -> tuple[str, str, str, str]:
        row = self.repository.thread(str(thread_id))
        if row is None:
            raise UnknownThread(f"no thread with id {thread_id!r}; start one without --thread to get an id")
        return row

    def get(self, thread_id: str) -> Thread:
        """The thread with its turns; `UnknownThread` if there is none with this id."""
        tid, title, topic, created = self._row(thread_id)
        return Thread(id=tid, title=title, topic=topic, created_at=created, turns=self.turns(tid))

    def turns(self, thread_id: str) -> list[Turn]:
        self._row(thread_id)
        return [Turn(n=n, question=q, resolved_question=rq, answer=Answer.model_validate_json(a), created_at=at)
                for n, q, rq, a, at in self.repository.thread_turns(str(thread_id))]

    def append(self, thread_id: str, answer: Answer) -> int:
        """Record an answer as the thread's next turn; returns its number. Sets or moves the thread's topic."""
        _, title, topic, _ = self._row(thread_id)
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


# ---------------------------------------------------------------- consistent reference numbers


def renumber_with_thread(answer: Answer, thread: Thread) -> Answer:
    """A copy of `answer` whose references keep the numbers they had earlier in the thread; new references
    continue after the highest number the thread has used. Statement and summary citations follow."""
    earlier = [ref for turn in thread.turns for ref in turn.answer.references]
    return continue_numbers(answer, earlier).model_copy(update={"thread_id": thread.id})
