"""`answer(question, …)`: the stages wired together. Components are injected or built from settings.

    understand → retrieve → compose → verify → (thread numbering) → tailor

A `Clinic` holds the long-lived parts (store, embedder, composer) so a server builds them once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from medoracle.compose import Composer
from medoracle.editorial import EditorialRepository, open_repository, repository_beside
from medoracle.editorial.threads import ThreadStore
from medoracle.embed import Embedder
from medoracle.settings import Settings
from medoracle.store import SearchFilters, Store, open_store
from medoracle.types import Answer, Audience

DEFAULT = object()  # "take it from settings", distinct from an explicit None (= no embedder)


@dataclass
class Clinic:
    """The long-lived components one deployment answers with."""

    settings: Settings
    store: Store
    embedder: Embedder | None
    composer: Composer
    threads: ThreadStore

    @classmethod
    def build(cls, settings: Settings | None = None, *, store: Store | None = None, embedder: Any = DEFAULT,
              composer: Composer | None = None, on_progress: Callable[[str], None] | None = None,
              repository: EditorialRepository | None = None) -> Clinic:
        """`embedder`: an Embedder, None for lexical search only, or DEFAULT for the settings' choice."""
        from medoracle import vocab
        from medoracle.compose import get_composer
        from medoracle.embed import get_embedder

        vocab.warm_up(background=True)  # tables and the drug index load while the store and models do
        settings = settings or Settings.load()
        if store is None:
            store = open_store(settings)
            repository = repository or open_repository(settings)
            if settings.uses_default_database:
                from medoracle.kb.build import ensure_knowledge_base
                ensure_knowledge_base(store, settings, repository, on_progress=on_progress)
        repository = repository or repository_beside(store)
        if embedder is DEFAULT:
            embedder = get_embedder(settings.embedder, threads=settings.threads)
        if composer is None:
            composer = get_composer(settings.composer, embedder=embedder, settings=settings)
        return cls(settings=settings, store=store, embedder=embedder, composer=composer,
                   threads=ThreadStore(repository))

    def answer(self, question: str, *, audience: Audience | str = Audience.clinician, thread_id: str | None = None,
               filters: SearchFilters | None = None) -> Answer:
        events = list(self.answer_stream(question, audience=audience, thread_id=thread_id, filters=filters))
        final = events[-1][1]
        assert isinstance(final, Answer)  # the stream always ends with ("answer", Answer)
        return final

    def answer_stream(self, question: str, *, audience: Audience | str = Audience.clinician,
                      thread_id: str | None = None,
                      filters: SearchFilters | None = None) -> Iterator[tuple[str, object]]:
        """Events as the answer is built: ("status", str) …, ("summary", Answer), ("section", Section) …,
        ("answer", Answer) last."""
        from medoracle.audience import tailor
        from medoracle.editorial.threads import renumber_with_thread, resolve_followup
        from medoracle.plain import attach_plain
        from medoracle.retrieve import check_question, retrieve
        from medoracle.verify import verify

        started = time.perf_counter()
        audience = Audience(audience)
        asked = check_question(question)
        thread = self.threads.get(thread_id) if thread_id else None
        resolved = resolve_followup(asked, thread) if thread and thread.turns else asked
        yield "status", "Searching the evidence…"
        # A composer may read more than the configured minimum (the extractive one wants ~48 passages for a
        # broad question); retrieval cost barely changes with k, the answer's completeness does.
        k = max(self.settings.evidence_k, int(getattr(self.composer, "wants_passages", 0) or 0))
        found = retrieve(resolved, self.store, k=k, embedder=self.embedder, filters=filters)
        yield "status", f"Reading {len(found.evidence)} passages…"
        draft = self.composer.compose(found.query.with_generic_names(), found.evidence, audience=audience)
        checked = attach_plain(verify(draft, found.evidence, self.embedder), found.evidence)
        checked.question = asked
        checked.resolved_question = resolved if resolved != asked else None
        checked.notes = [*found.notes, *checked.notes]
        if thread is not None:
            checked = renumber_with_thread(checked, thread)
        final = tailor(checked, audience)
        final.audience = audience
        if thread_id:
            self.threads.append(thread_id, final)
            final.thread_id = thread_id
        final.timings = {**found.timings, **checked.timings, "total": (time.perf_counter() - started) * 1000}
        # Reading order: the bottom line first (the whole answer, for its summary), then the sections as the
        # page shows them.
        yield "summary", final
        for section in final.sections:
            yield "section", section
        yield "answer", final


_clinics: dict[str, Clinic] = {}
_clinics_lock = threading.Lock()


def clinic_for(settings: Settings | None = None, *, on_progress=None, **components) -> Clinic:
    """A cached Clinic per database, so repeated calls do not reload models or rebuild the knowledge base."""
    settings = settings or Settings.load()
    if components:
        return Clinic.build(settings, on_progress=on_progress, **components)
    key = f"{settings.database}|{settings.embedder}|{settings.composer}"
    with _clinics_lock:
        if key not in _clinics:
            _clinics[key] = Clinic.build(settings, on_progress=on_progress)
        return _clinics[key]


def answer(question: str, *, settings: Settings | None = None, store=None, composer=None, embedder=DEFAULT,
           audience: Audience | str = Audience.clinician, thread_id: str | None = None,
           filters: SearchFilters | None = None) -> Answer:
    """Answer one clinical question (or abstain). Raises BadQuestion for unusable questions."""
    components = {k: v for k, v in (("store", store), ("composer", composer)) if v is not None}
    if embedder is not DEFAULT:
        components["embedder"] = embedder
    clinic = clinic_for(settings, **components)
    return clinic.answer(question, audience=audience, thread_id=thread_id, filters=filters)


def answer_stream(question: str, *, settings: Settings | None = None, audience: Audience | str = Audience.clinician,
                  thread_id: str | None = None) -> Iterator[tuple[str, object]]:
    return clinic_for(settings).answer_stream(question, audience=audience, thread_id=thread_id)


__all__ = ["Clinic", "answer", "answer_stream", "clinic_for"]
