"""Passage vectors in memory, searched in two stages once a store is large: a coarse scan over a PCA projection
picks a candidate pool, and the pool is re-scored exactly with the full float32 rows.

Why: at 10^5 passages × 384 dimensions the exact scan reads a 163 MB matrix per query, and that read — bound by
memory bandwidth, not arithmetic — was the largest single cost of a search over the four shared corpora
(~17 ms of a ~50 ms warm search). The first COARSE_DIMS principal components carry ~82% of MiniLM's variance,
so a scan over them (a third of the bytes) ranks the true neighbours near the top; re-scoring a pool of
POOL_FACTOR × k candidates exactly returns exact cosines, and the exact top-k whenever the pool holds it
(benchmarks/dense_recall.py, four shared corpora, 106,214 vectors, 300 dev questions, 2026-12-02: recall of the
exact top-100 0.996, of the top-10 0.999, the same top-10 in the same order for 98.7% of questions, at 2.3× less
time per query than the exact scan in the same run; 96 dimensions gave 0.984, 64 gave 0.940).

Deterministic: the basis comes from fixed rows (every n-th, at most PCA_SAMPLE) through a symmetric
eigendecomposition, so the same vectors always give the same projection and the same results. Stores below
EXACT_BELOW rows (the bundled knowledge base has ~600) are searched exactly: there the scan costs microseconds.
"""

from __future__ import annotations

import numpy as np

from medoracle.errors import StoreError
from medoracle.store.query import SearchFilters

EXACT_BELOW = 20_000  # rows; under this the exact scan is cheaper than building a projection worth having
COARSE_DIMS = 128     # principal components scanned in the first stage (of 384 for MiniLM)
POOL_FACTOR = 10      # candidates re-scored exactly per result asked for
MIN_POOL = 1000       # …and never fewer: a small k (dense-only top 60) gets the pool measured for k = 100
PCA_SAMPLE = 10_000   # rows the basis is computed from (every n-th row): the basis settles long before all rows


def exact_top(matrix: np.ndarray, kinds: np.ndarray, years: np.ndarray, vector: np.ndarray, k: int,
              filters: SearchFilters | None) -> list[tuple[int, float]]:
    """(row index, cosine) of the k best rows of a unit-vector matrix, best first, honouring the filters."""
    if matrix.shape[0] == 0:
        return []
    _check_dims(matrix, vector)
    scores = matrix @ vector.astype(np.float32)
    return _best(scores, _mask(kinds, years, filters), k)


class VectorIndex:
    """One store's vectors (unit rows, float32) with their doc types and years, for filtered top-k search."""

    def __init__(self, matrix: np.ndarray, kinds: np.ndarray, years: np.ndarray, *, exact_below: int | None = None,
                 dims: int | None = None, pool_factor: int | None = None, min_pool: int | None = None) -> None:
        """Unset parameters take the module's values (EXACT_BELOW, COARSE_DIMS, POOL_FACTOR, MIN_POOL)."""
        self.matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        self.kinds = kinds
        self.years = years
        self.pool_factor = POOL_FACTOR if pool_factor is None else pool_factor
        self.min_pool = MIN_POOL if min_pool is None else min_pool
        self.basis: np.ndarray | None = None    # (full dims, coarse dims): the top principal directions
        self.coarse: np.ndarray | None = None   # (rows, coarse dims): every row in that basis
        rows, full = self.matrix.shape if self.matrix.ndim == 2 else (0, 0)
        dims = COARSE_DIMS if dims is None else dims
        if rows >= (EXACT_BELOW if exact_below is None else exact_below) and 0 < dims < full:
            self.basis, self.coarse = _projection(self.matrix, dims)

    @property
    def approximate(self) -> bool:
        return self.coarse is not None

    def __len__(self) -> int:
        return int(self.matrix.shape[0])

    def top(self, vector: np.ndarray, k: int, filters: SearchFilters | None = None) -> list[tuple[int, float]]:
        """(row index, exact cosine) of the best rows, best first: exact below `exact_below` rows, else the best
        of a coarse pool of max(pool_factor × k, min_pool) rows re-scored exactly."""
        if self.coarse is None or self.basis is None:
            return exact_top(self.matrix, self.kinds, self.years, vector, k, filters)
        _check_dims(self.matrix, vector)
        vector = vector.astype(np.float32).reshape(-1)
        mask = _mask(self.kinds, self.years, filters)
        pool = max(self.pool_factor * k, self.min_pool, 1)
        if mask is not None and int(mask.sum()) <= pool:
            # a narrow filter leaves fewer rows than the pool: score those exactly, no coarse stage needed
            allowed = np.flatnonzero(mask)
            return [(int(allowed[i]), s) for i, s in _best(self.matrix[allowed] @ vector, None, k)]
        coarse = self.coarse @ (vector @ self.basis)
        if mask is not None:
            coarse = np.where(mask, coarse, -np.inf)
        pool = min(pool, len(coarse))
        candidates = np.sort(np.argpartition(-coarse, pool - 1)[:pool])  # sorted: the row gather reads in order
        if mask is not None:
            candidates = candidates[mask[candidates]]
        exact = self.matrix[candidates] @ vector
        return [(int(candidates[i]), s) for i, s in _best(exact, None, k)]


def _projection(matrix: np.ndarray, dims: int) -> tuple[np.ndarray, np.ndarray]:
    """The top `dims` principal directions of the rows (from a fixed sample) and every row expressed in them.

    The directions come from the centred sample; the rows are projected uncentred, because centring would only
    subtract the same amount (mean · query) from every row's coarse score, and skipping it saves a temporary
    copy of the whole matrix (163 MB at 10^5 rows) at load time.
    """
    step = max(1, len(matrix) // PCA_SAMPLE)
    sample = matrix[::step]
    centred = sample - sample.mean(axis=0, dtype=np.float64).astype(np.float32)
    # the scatter in float32 (float64 took twice as long) is ample for choosing directions to scan
    scatter = (centred.T @ centred).astype(np.float64)
    _, directions = np.linalg.eigh(scatter)  # ascending eigenvalues, orthonormal columns
    basis = np.ascontiguousarray(directions[:, ::-1][:, :dims], dtype=np.float32)
    return basis, np.ascontiguousarray(matrix @ basis, dtype=np.float32)


def _check_dims(matrix: np.ndarray, vector: np.ndarray) -> None:
    if matrix.shape[1] != vector.shape[-1]:
        raise StoreError(f"stored embeddings have {matrix.shape[1]} dimensions, the query has {vector.shape[-1]}")


def _mask(kinds: np.ndarray, years: np.ndarray, filters: SearchFilters | None) -> np.ndarray | None:
    if not filters or filters.empty:
        return None
    mask = np.ones(len(kinds), dtype=bool)
    if filters.doc_types:
        mask &= np.isin(kinds, list(filters.doc_types))
    if filters.since_year is not None:
        mask &= years >= filters.since_year
    return mask


def _best(scores: np.ndarray, mask: np.ndarray | None, k: int) -> list[tuple[int, float]]:
    """(index, score) of the k highest scores, best first, skipping masked-out entries."""
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    k = min(k, len(scores))
    if k <= 0:
        return []
    top = np.argpartition(-scores, k - 1)[:k]
    return [(int(i), float(scores[i])) for i in top[np.argsort(-scores[top])] if np.isfinite(scores[i])]


__all__ = ["VectorIndex", "exact_top"]
