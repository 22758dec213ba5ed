"""`answer(question, …)`: the stages wired together. Components are injected or built from settings.

    understand → retrieve → compose → verify → (thread numbering) → tailor

A `Clinic` holds the long-lived parts (store, embedder, composer) so a server builds them once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from medoracle.compose import Composer
from medoracle.editorial import EditorialRepository, open_repository, repository_beside
from medoracle.editorial.threads import ThreadStore
from medoracle.embed import Embedder
from medoracle.settings import Settings
from medoracle.store import SearchFilters, Store, open_store
from medoracle.types import Answer, Audience, Gap, Query

if TYPE_CHECKING:
    from medoracle.compose.gaps import Library
    from medoracle.understand.topic_names import TopicNames

READINGS_KEPT = 4096  # questions understood, kept per Clinic (then afresh)
DEFAULT = object()  # "take it from settings", distinct from an explicit None (= no embedder)


@dataclass
class Clinic:
    """The long-lived components one deployment answers with."""

    settings: Settings
    store: Store
    embedder: Embedder | None
    composer: Composer
    threads: ThreadStore
    # (question, earlier questions, content version) → the question understood: a server meets the same questions
    # again, and reading one costs more than a millisecond of CPU. Shared: nothing changes a Query once read.
    _readings: dict[tuple[str, tuple[str, ...], str], Query] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, settings: Settings | None = None, *, store: Store | None = None, embedder: Any = DEFAULT,
              composer: Composer | None = None, on_progress: Callable[[str], None] | None = None,
              repository: EditorialRepository | None = None) -> Clinic:
        """`embedder`: an Embedder, None for lexical search only, or DEFAULT for the settings' choice."""
        from medoracle.compose import get_composer
        from medoracle.embed import get_embedder
        from medoracle.understand import vocab

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
        from medoracle.retrieve import check_question, known_words, retrieve
        from medoracle.understand import read_query
        from medoracle.understand.focus import focus_gate, population_gap, population_gate
        from medoracle.verify import verify

        started = time.perf_counter()
        audience = Audience(audience)
        asked = check_question(question)
        thread = self.threads.get(thread_id) if thread_id else None
        resolved = resolve_followup(asked, thread) if thread and thread.turns else asked
        history = [t.resolved_question or t.question for t in thread.turns] if thread else []
        # Each stretch between two events reads the store at one state, read once (`Store.reading`); never across
        # a yield, so a stream left unfinished leaves no state held by its thread.
        with self.store.reading():
            key = (resolved, tuple(history), self.store.content_version())  # the library's words: its version
            query = self._readings.get(key)
            if query is None:
                query = read_query(resolved, history=history, known=known_words(self.store),
                                   topics=self.topic_names)
                if len(self._readings) >= READINGS_KEPT:
                    self._readings.clear()
                self._readings[key] = query
        unusable = _unusable(query)
        if unusable is not None:
            checked = Answer(question=asked, abstained=True, abstain_reason=unusable)
            found = None
        else:
            yield "status", "Searching the evidence…"
            # A composer may read more than the configured minimum (the extractive one wants ~48 passages for a
            # broad question); retrieval cost barely changes with k, the answer's completeness does.
            k = max(self.settings.evidence_k, int(getattr(self.composer, "wants_passages", 0) or 0))
            with self.store.reading():
                found = retrieve(query.search_text, self.store, k=k, embedder=self.embedder, filters=filters,
                                 understood=query)
                # The relevance gate every composer needs: evidence about the question's condition only.
                evidence, off_topic = focus_gate(query, found.evidence)
                on_topic = evidence
                if off_topic is None:  # and for the question's patient: a children's guideline is not for an adult
                    evidence, off_topic = population_gate(query, evidence)
            yield "status", f"Reading {len(evidence)} passages…"
            with self.store.reading():
                if off_topic is not None:
                    draft = Answer(question=asked, abstained=True, abstain_reason=off_topic)
                else:
                    found.query.text = query.spelled_out()  # brands become generic names below
                    draft = self.composer.compose(found.query.with_generic_names(), evidence, audience=audience,
                                                  query=query)
                    gap = population_gap(query, on_topic, evidence) if draft.abstained else None
                    if gap is not None:  # the best evidence is for someone else: say so, not only "not covered"
                        draft.abstain_reason = gap
                checked = attach_plain(verify(draft, evidence, self.embedder), evidence)
        checked.question = asked
        checked.resolved_question = resolved if resolved != asked else None
        checked.understood = query
        checked.gap = self._gap(query, checked, found.evidence if found is not None else [])
        checked.notes = [*(found.notes if found is not None else []), *checked.notes]
        if thread is not None:
            checked = renumber_with_thread(checked, thread)
        # The clinician text is the answer as composed and checked, made for this ask: `tailor` would only deep-copy
        # it (~0.5 ms of CPU); another reader's wording is a copy.
        final = checked if audience is Audience.clinician else tailor(checked, audience)
        final.audience = audience
        if thread_id:
            self.threads.append(thread_id, final)
            final.thread_id = thread_id
        final.timings = {**(found.timings if found is not None else {}), **checked.timings,
                         "total": (time.perf_counter() - started) * 1000}
        # Reading order: the bottom line first (the whole answer, for its summary), then the sections as the
        # page shows them.
        yield "summary", final
        for section in final.sections:
            yield "section", section
        yield "answer", final


    def _gap(self, query: Query, answer: Answer, evidence: list) -> Gap | None:
        """What was looked for, what the library covers and two rephrasings, for an abstention or an answer that
        leaves part of the question out (the composer's `gaps`, also among its notes)."""
        from medoracle.compose.gaps import explain
        missing = [] if answer.abstained else list(answer.gaps)
        if not answer.abstained and not missing:
            return None
        return explain(query, answer, evidence, self.library(), missing)

    @cached_property
    def topic_names(self) -> TopicNames:
        """The knowledge-base topics this store holds, by their aliases (read once: the topic pages change only
        when the knowledge base is rebuilt, and a server rebuilds its Clinic then)."""
        from medoracle.understand.topic_names import TopicNames
        pages = self.store.documents([f"kb:topic:{slug}" for slug in _topic_slugs()])
        return TopicNames(_topic_name(meta.metadata) for meta in pages.values())

    def library(self) -> Library:
        """What the library holds (read when an answer needs saying so: abstentions are rare)."""
        from medoracle.compose.gaps import Library, bundled_topics
        topics = bundled_topics()
        present = self.store.documents([f"kb:topic:{slug}" for slug in _topic_slugs()])
        stats = self.store.stats()
        held = tuple(t for t, slug in zip(topics, _topic_slugs()) if f"kb:topic:{slug}" in present)
        return Library(topics=held, documents=stats.documents, by_kind=dict(stats.by_doc_type))


def _unusable(query: Query) -> str | None:
    """Why a question cannot be answered as asked (not clinical, or a patient who cannot exist), or None. What
    the library covers and what to ask instead are the answer's `gap`."""
    if query.contradiction:
        return (f"The question describes a patient who cannot exist: {query.contradiction}. "
                "Say which patient you mean (for example the age, or child or adult) and ask again.")
    if query.noise:
        return (f"This does not look like a clinical question ({query.noise}). The library answers questions "
                "about conditions, tests and treatments from its guidelines and documents: name a condition and "
                "what you want to know.")
    return None


def _topic_name(metadata: dict) -> tuple[str, list[str]]:
    """A topic page's name for questions (its first worded alias: "pneumonia", not "CAP") and its aliases."""
    aliases = [a for a in metadata.get("aliases") or [] if isinstance(a, str)]
    worded = [a for a in aliases if not a.isupper()]
    return (worded[0] if worded else str(metadata.get("topic_title") or metadata.get("topic") or "")), aliases


@lru_cache(maxsize=1)
def _topic_slugs() -> tuple[str, ...]:
    from medoracle.kb import topics
    return tuple(t.slug for t in topics())


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
