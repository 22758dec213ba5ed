"""Asking from the web: one long-lived Clinic, a thread per conversation, recent answers kept for publishing.

Publishing posts back a key to the answer the reader saw, never the answer itself: an answer sent by the
browser could carry citations that no source supports. If the key has expired (restart, another worker)
the question is answered again.
"""

from __future__ import annotations

import asyncio
import functools
import secrets
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

import anyio
import anyio.to_thread

from medoracle.compose.references import number_from_one
from medoracle.editorial.repository import EditorialRepository
from medoracle.editorial.threads import NotYourThread, Thread, ThreadStore
from medoracle.settings import Settings
from medoracle.store.base import Store
from medoracle.types import Answer, Audience

# Answer keys of a thread's turns, and of a whole thread: made by the server from a thread the asker owns,
# never taken from a client (one posted under a thread's name could claim that thread's answer first).
THREAD_KEY = "thread:"
# Answers worked on at once per process; the rest wait their turn in the event loop. An answer is CPU-bound Python
# under one GIL: 40 at once (the thread pool's default) each run at 1/40 speed, so a slow question's answer waits
# for all the others and p95 grows with the crowd. `serve_load.py`, 1 worker, 50 askers, same busy minute: 40 at
# once p95/p50 2.19/1.17 s; 1: 1.93/1.70 s; 2: 1.77/1.51 s; 4: 1.50/1.21 s (SQLite and the lexical search's
# thread let go of the GIL, so a few overlap).
ANSWERING_AT_ONCE = 4
T = TypeVar("T")


class AnswersQuestions(Protocol):
    """What the web needs from `medoracle.service.Clinic`."""

    def answer_stream(self, question: str, *, audience: Audience | str = ...,
                      thread_id: str | None = ...) -> Iterator[tuple[str, Any]]: ...


class AnswerCache:
    """The last few hundred answers, by random key (thread-safe, least recently used dropped first).

    Each entry keeps the answer as the reader saw it and the clinician text it was worded from: an article
    is published from the clinician text, so any reader can have it re-worded for them.
    """

    def __init__(self, size: int = 256) -> None:
        self._items: OrderedDict[str, tuple[Answer, Answer]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def put(self, answer: Answer, clinician: Answer | None = None) -> str:
        key = secrets.token_urlsafe(16)
        with self._lock:
            self._items[key] = (answer, clinician or answer)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return key

    def _entry(self, key: str | None) -> tuple[Answer, Answer] | None:
        if not key:
            return None
        with self._lock:
            entry = self._items.get(key)
            if entry is not None:
                self._items.move_to_end(key)
            return entry

    def get(self, key: str | None) -> Answer | None:
        """The answer as shown."""
        entry = self._entry(key)
        return entry[0] if entry else None

    def clinician(self, key: str | None) -> Answer | None:
        """The clinician text the shown answer was worded from (the same answer for a clinician)."""
        entry = self._entry(key)
        return entry[1] if entry else None


class Asker:
    """Answers for the web, with threads: a first question starts a thread so the follow-up box works."""

    def __init__(self, settings: Settings, store: Store, repository: EditorialRepository,
                 clinic: AnswersQuestions | None = None, build_knowledge_base: bool = False) -> None:
        self.settings = settings
        self.store = store
        self.repository = repository
        self._clinic = clinic
        self._build_kb = build_knowledge_base
        self._lock = threading.Lock()
        self.answers = AnswerCache()
        self.threads = ThreadStore(repository)
        # one limiter per event loop (a test client may run several, one after another)
        self._limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = \
            weakref.WeakKeyDictionary()

    async def in_turn(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)` in a worker thread, at most ANSWERING_AT_ONCE of them at a time."""
        loop = asyncio.get_running_loop()
        limiter = self._limiters.get(loop)
        if limiter is None:
            limiter = self._limiters[loop] = anyio.CapacityLimiter(ANSWERING_AT_ONCE)
        return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs), limiter=limiter)

    def clinic(self) -> AnswersQuestions:
        # Built on first question, not at start-up: loading the embedder takes seconds and reading pages
        # should not wait for it.
        with self._lock:
            if self._clinic is None:
                from medoracle.service import Clinic
                if self._build_kb:
                    from medoracle.kb.build import ensure_knowledge_base
                    ensure_knowledge_base(self.store, self.settings, self.repository)
                self._clinic = Clinic.build(self.settings, store=self.store, repository=self.repository)
            return self._clinic

    def own_thread(self, thread_id: str, owners: Sequence[str] = ("",)) -> Thread:
        """The thread if `owners` (this browser's and account's keys) include its owner.

        UnknownThread (a BadInput) when there is none; NotYourThread (403) when another browser or account
        started it. A thread with no owner (CLI, anonymous API) is open to whoever holds its id.
        """
        thread = self.threads.get(thread_id)
        if thread.owner and thread.owner not in owners:
            raise NotYourThread("this conversation belongs to another browser or account; "
                                "ask your own question on the Ask page")
        return thread

    def stream(self, question: str, *, audience: Audience, thread_id: str | None,
               owners: Sequence[str] = ("",)) -> Iterator[tuple[str, Any]]:
        """("status", str) / ("summary", Answer) / ("section", Section) events in reading order, then
        ("clinician", Answer), the text it was worded from, and ("answer", Answer) as the reader sees it.

        `owners[0]` owns a thread started here; continuing one needs its owner among `owners`.
        """
        from medoracle.retrieve import check_question
        check_question(question)  # refused before the (slow, first-time) clinic build and before any thread
        if thread_id:
            self.own_thread(thread_id, owners)
        clinic = self.clinic()
        # Asked as a clinician and worded for the reader here: the thread keeps the clinician text, so each
        # turn can be shown to whoever reads it, and what is published is what reviewers check.
        shown: Answer | None = None
        for kind, value in clinic.answer_stream(question, audience=Audience.clinician, thread_id=thread_id):
            if kind == "summary" and isinstance(value, Answer):
                if not thread_id:  # a first question starts a thread, stored with its answer in one commit
                    value.thread_id = self.threads.start(value, question, owners[0] if owners else "")
                shown = _worded(value, audience)
                yield "summary", shown
                for section in shown.sections:
                    yield "section", section
            elif kind == "answer" and isinstance(value, Answer):
                shown = shown or _worded(value, audience)
                shown.timings = value.timings
                yield "clinician", value
                yield "answer", shown
            elif kind != "section":
                yield kind, value

    def answer(self, question: str, *, audience: Audience, thread_id: str | None,
               owners: Sequence[str] = ("",)) -> Answer:
        return self.answer_both(question, audience=audience, thread_id=thread_id, owners=owners)[0]

    def answer_both(self, question: str, *, audience: Audience, thread_id: str | None,
                    owners: Sequence[str] = ("",)) -> tuple[Answer, Answer]:
        """(the answer as the reader sees it, the clinician text it was worded from)."""
        final: Answer | None = None
        clinician: Answer | None = None
        for kind, value in self.stream(question, audience=audience, thread_id=thread_id, owners=owners):
            if kind == "answer":
                final = value
            elif kind == "clinician":
                clinician = value
        if final is None or clinician is None:
            raise RuntimeError("the answer stream ended without an answer")
        return final, clinician

    def thread_for_article(self, answer: Answer, owner: str = "") -> str:
        """A new thread for a reader's follow-up on an article, seeded with the article's answer.

        Never the thread the article was asked in (older articles still carry its id): that is the asker's
        conversation, and a reader of the article must not be able to read or continue it.
        """
        return self.threads.start(answer, answer.question[:300], owner)


def _worded(answer: Answer, audience: Audience) -> Answer:
    """The answer as `audience` reads it. A clinician reads the clinician text itself (the answer made for this
    ask, kept as both): `tailor` would only deep-copy it."""
    from medoracle.audience import tailor
    return answer if audience is Audience.clinician else tailor(answer, audience)


def standalone(answer: Answer) -> Answer:
    """A copy numbered 1, 2, 3 … for publishing on its own (answers are numbered from 1 already, threads
    included; an older thread's follow-up may still carry continued numbers). Citations follow."""
    return number_from_one(answer)
