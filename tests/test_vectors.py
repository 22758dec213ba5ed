"""Two-stage dense search (`VectorIndex`): on real MiniLM vectors the coarse PCA scan's pool holds the exact top-k,
the scores returned are the exact cosines, filters hold, and small stores stay exact."""

from __future__ import annotations

import numpy as np
import pytest

from medoracle.kb import topics
from medoracle.store import SearchFilters
from medoracle.store.vectors import VectorIndex, exact_top


@pytest.fixture(scope="module")
def real(kb_clinic):
    """The knowledge base's stored MiniLM vectors and real questions embedded by the same model."""
    _, index = kb_clinic.store._load_matrix()
    questions = [f"{ask} {name}" for t in topics() for name in (t.title, *t.aliases[:2])
                 for ask in ("What is the treatment of", "How is the diagnosis made in")]
    queries = np.asarray(kb_clinic.embedder.embed(questions), dtype=np.float32)
    return index, queries


def _ids(hits):
    return [i for i, _ in hits]


def test_small_stores_are_searched_exactly(real):
    index, queries = real
    assert not index.approximate  # ~600 passages: below EXACT_BELOW
    assert index.top(queries[0], 10) == exact_top(index.matrix, index.kinds, index.years, queries[0], 10, None)


def test_coarse_pool_holds_the_exact_top_k_on_real_vectors(real):
    index, queries = real
    # a pool of 10 × k = 50 of ~600 rows: the coarse scan must rank the true neighbours near its top
    two_stage = VectorIndex(index.matrix, index.kinds, index.years, exact_below=0, dims=128, pool_factor=10,
                            min_pool=0)
    assert two_stage.approximate and two_stage.coarse.shape == (len(index.matrix), 128)
    found = exact = 0
    for q in queries:
        want = exact_top(index.matrix, index.kinds, index.years, q, 5, None)
        got = two_stage.top(q, 5)
        found += len(set(_ids(got)) & set(_ids(want)))
        exact += len(want)
        for (i, score), (j, truth) in zip(got, want):  # where the same row is found, its score is the exact cosine
            if i == j:
                assert score == pytest.approx(truth, abs=1e-5)
    assert found / exact >= 0.99, f"recall of the exact top-5: {found / exact:.3f}"


def test_a_basis_of_the_least_variance_directions_would_fail(real):
    """The test above can fail: the same pool scanned over the *last* principal directions misses neighbours."""
    index, queries = real
    bad = VectorIndex(index.matrix, index.kinds, index.years, exact_below=0, dims=128, pool_factor=10, min_pool=0)
    assert bad.basis is not None and bad.coarse is not None
    centred = index.matrix - index.matrix.mean(axis=0)
    eigen = np.linalg.eigh((centred.T @ centred).astype(np.float64))[1]
    bad.basis = np.ascontiguousarray(eigen[:, :128], dtype=np.float32)
    bad.coarse = np.ascontiguousarray(index.matrix @ bad.basis, dtype=np.float32)
    found = sum(len(set(_ids(bad.top(q, 5))) & set(_ids(exact_top(index.matrix, index.kinds, index.years, q, 5,
                                                                        None)))) for q in queries)
    assert found / (5 * len(queries)) < 0.9


def test_filters_apply_in_both_stages(real):
    index, queries = real
    two_stage = VectorIndex(index.matrix, index.kinds, index.years, exact_below=0, dims=64, pool_factor=4, min_pool=0)
    kinds = sorted(set(index.kinds.tolist()))
    for kind in kinds:
        only = SearchFilters(doc_types=(kind,))
        hits = two_stage.top(queries[0], 5, only)
        assert hits and all(index.kinds[i] == kind for i, _ in hits)
        assert _ids(hits)[:1] == _ids(exact_top(index.matrix, index.kinds, index.years, queries[0], 5, only))[:1]
    assert two_stage.top(queries[0], 5, SearchFilters(since_year=3000)) == []


def test_the_projection_is_deterministic(real):
    index, queries = real
    a = VectorIndex(index.matrix, index.kinds, index.years, exact_below=0, dims=96)
    b = VectorIndex(index.matrix.copy(), index.kinds, index.years, exact_below=0, dims=96)
    assert np.array_equal(a.coarse, b.coarse)
    assert all(a.top(q, 20) == b.top(q, 20) for q in queries[:10])
