"""Asking from the web: one long-lived Clinic, a thread per conversation, recent answers kept for publishing.

Publishing posts back a key to the answer the reader saw, never the answer itself: an answer sent by the
browser could carry citations that no source supports. If the key has expired (restart, another worker)
the question is answered again.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any, Protocol

from medoracle.compose.references import number_from_one
from medoracle.editorial.repository import EditorialRepository
from medoracle.editorial.threads import ThreadStore
from medoracle.settings import Settings
from medoracle.store.base import Store
from medoracle.types import Answer, Audience


class AnswersQuestions(Protocol):
    """What the web needs from `medoracle.service.Clinic`."""

    def answer_stream(self, question: str, *, audience: Audience | str = ...,
                      thread_id: str | None = ...) -> Iterator[tuple[str, Any]]: ...


class AnswerCache:
    """The last few hundred answers, by random key (thread-safe, least recently used dropped first)."""

    def __init__(self, size: int = 256) -> None:
        self._items: OrderedDict[str, Answer] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def put(self, answer: Answer) -> str:
        key = secrets.token_urlsafe(16)
        with self._lock:
            self._items[key] = answer
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return key

    def get(self, key: str | None) -> Answer | None:
        if not key:
            return None
        with self._lock:
            answer = self._items.get(key)
            if answer is not None:
                self._items.move_to_end(key)
            return answer


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

    def new_thread(self, title: str) -> str:
        return self.threads.create(title[:300])

    def check_thread(self, thread_id: str) -> str:
        """The id if such a thread exists; UnknownThread (a BadInput) otherwise."""
        return self.threads.get(thread_id).id

    def stream(self, question: str, *, audience: Audience, thread_id: str | None) -> Iterator[tuple[str, Any]]:
        """("status", str) / ("section", Section) events, then ("answer", Answer)."""
        from medoracle.retrieve import check_question
        check_question(question)  # refused before the (slow, first-time) clinic build and before any thread
        clinic = self.clinic()
        if thread_id:
            self.check_thread(thread_id)
        else:
            thread_id = self.new_thread(question)
        yield from clinic.answer_stream(question, audience=audience, thread_id=thread_id)

    def answer(self, question: str, *, audience: Audience, thread_id: str | None) -> Answer:
        final: Answer | None = None
        for kind, value in self.stream(question, audience=audience, thread_id=thread_id):
            if kind == "answer":
                final = value
        if final is None:
            raise RuntimeError("the answer stream ended without an answer")
        return final

    def thread_for_article(self, answer: Answer) -> str:
        """A new thread for a reader's follow-up on an article, seeded with the article's answer.

        Never the thread the article was asked in (older articles still carry its id): that is the asker's
        conversation, and a reader of the article must not be able to read or continue it.
        """
        thread_id = self.threads.create(answer.question[:300])
        self.threads.append(thread_id, answer)
        return thread_id


def standalone(answer: Answer) -> Answer:
    """A copy numbered 1, 2, 3 … for publishing on its own.

    In a thread a follow-up's references continue the thread's numbers (15, 16 …); an article read on its
    own page starts at 1. Citations follow their references.
    """
    return number_from_one(answer)
