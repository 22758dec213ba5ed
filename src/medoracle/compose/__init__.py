"""Composers turn retrieved evidence into a sectioned, cited answer.

`get_composer("extractive")` (the default) quotes sentences from the evidence, so every statement is supported
by its citation by construction; `"openai"` asks any OpenAI-compatible server and `"llama-cpp"` a local GGUF
model, and both go through the same verifier. Register another with `COMPOSERS["name"] = factory`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from medoracle.errors import BadInput
from medoracle.types import Answer, Audience, Evidence, Query

__all__ = ["COMPOSERS", "Composer", "get_composer"]


@runtime_checkable
class Composer(Protocol):
    """Writes an `Answer` for a question from ranked evidence, or abstains."""

    name: str

    def compose(self, question: str, evidence: list[Evidence], *, audience: Audience = Audience.clinician,
                query: Query | None = None) -> Answer:
        """`query`: the question as understood (population, intent, drugs); composers that can, respect it."""
        ...


def _extractive(**kw: Any) -> Composer:
    from medoracle.compose.extractive import ExtractiveComposer
    return ExtractiveComposer(**kw)


def _openai(**kw: Any) -> Composer:
    from medoracle.compose.llm import OpenAICompatibleComposer
    return OpenAICompatibleComposer(**kw)


def _llama_cpp(**kw: Any) -> Composer:
    from medoracle.compose.llm import LlamaCppComposer
    return LlamaCppComposer(**kw)


# Factories by name; modules are imported on first use so the default needs no model libraries.
COMPOSERS: dict[str, Callable[..., Composer]] = {
    "extractive": _extractive,
    "openai": _openai,
    "openai-compatible": _openai,
    "llama-cpp": _llama_cpp,
}


def get_composer(name: str = "extractive", **kw: Any) -> Composer:
    """The composer registered under `name`, built with `kw` (e.g. `embedder=`, `base_url=`)."""
    try:
        factory = COMPOSERS[name]
    except KeyError:
        raise BadInput(f"unknown composer {name!r}; choose one of: {', '.join(sorted(COMPOSERS))}") from None
    return factory(**kw)
