"""Build (or refresh) the default database from the bundled cards on first use.

The cards go through the ordinary Markdown reader and ingest pipeline: the knowledge base is a corpus like
any other, not a special path. A fingerprint of the card files decides whether anything needs doing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from medoracle.editorial.repository import EditorialRepository
from medoracle.ingest.pipeline import embed_pending, ingest
from medoracle.kb import card_paths
from medoracle.settings import Settings
from medoracle.store.base import Store

KEY = "kb_fingerprint"
# Bump when what ingest derives from a card changes (its document focus now holds the card's own title), or how a
# build treats what it finds (cards gone from the bundle are now removed), so a knowledge base built before is
# rebuilt once.
_DERIVED = b"focus-with-card-title;retired-cards-removed"


def _deriving_modules() -> list[Path]:
    """The modules whose rules ingest stores with each passage (its population, its document's focus): a change
    to them must rebuild a knowledge base built before, or answers would match questions against stale slots."""
    from medoracle.ingest import population as tagging
    from medoracle.understand import ages, population

    return [Path(str(module.__file__)) for module in (tagging, population, ages)]


def fingerprint() -> str:
    h = hashlib.sha256(_DERIVED)
    for module in _deriving_modules():
        h.update(module.read_bytes())
    for path in card_paths():
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _retired(store: Store, bundled: set[str]) -> list[str]:
    """The knowledge-base documents in the store that the bundle no longer has (the default database holds the
    knowledge base alone, so reading its passages' ids is cheap)."""
    stored = dict.fromkeys(p.doc_id for p in store.iter_passages() if p.doc_id.startswith("kb:"))
    return [doc_id for doc_id in stored if doc_id not in bundled]


def ensure_knowledge_base(store: Store, settings: Settings, repository: EditorialRepository, *,
                          on_progress: Callable[[str], None] | None = None) -> bool:
    """Load the bundled cards into `store` if they are not there yet; True when something was built.

    The fingerprint lives in the repository's shared settings; the build runs under a cross-process lock,
    so of several workers or servers starting together one builds and the others find it done.
    """
    from medoracle.embed import get_embedder

    wanted = fingerprint()
    if repository.setting(KEY) == wanted:
        return False
    with repository.exclusive("knowledge-base"):
        if repository.setting(KEY) == wanted:  # built by another process while this one waited
            return False
        if on_progress:
            on_progress("Building the starter knowledge base (first use only)…")
        summary = ingest(card_paths(), store, fmt="markdown")
        if summary.errors:
            raise RuntimeError("bundled knowledge base has unreadable cards: " + "; ".join(map(str, summary.errors)))
        retired = _retired(store, set(summary.document_ids))
        if retired:  # a card removed from the bundle (wrong, or superseded) must not go on answering
            store.remove(retired)
        embedder = get_embedder(settings.embedder, threads=settings.threads)
        if embedder is not None:
            embed_pending(store, embedder)
        repository.put_setting(KEY, wanted)
    if on_progress:
        on_progress(f"Knowledge base ready: {summary.added} cards and topic pages, {summary.passages} passages.")
    return True
