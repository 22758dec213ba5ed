"""Embedders: shapes, unit norms, order, batching, meaning, registry."""

from __future__ import annotations

import numpy as np
import pytest

from medoracle.embed import (
    EMBEDDERS,
    E5SmallEmbedder,
    Embedder,
    EmbedderMismatch,
    HashingEmbedder,
    MiniLMEmbedder,
    check_embedder,
    embed_query,
    get_embedder,
    register_embedder,
)

SENTENCES = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The girl is carrying a baby.",
    "Radiotherapy relieves pain from bone metastases.",
    "",
    "Dexamethasone 16 mg daily is started at once when spinal cord compression is suspected. " * 30,
]


@pytest.fixture(scope="module")
def minilm() -> MiniLMEmbedder:
    model = get_embedder("minilm-int8")
    assert isinstance(model, MiniLMEmbedder)
    return model


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b))


@pytest.mark.parametrize("name", ["minilm-int8", "e5-small", "hashing"])
def test_shape_dtype_and_unit_norm(name: str) -> None:
    model = get_embedder(name)
    assert isinstance(model, Embedder)
    vectors = model.embed(SENTENCES[:4] + SENTENCES[5:])
    assert vectors.shape == (5, model.dim)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("name", ["minilm-int8", "e5-small", "hashing"])
def test_empty_list_gives_zero_rows(name: str) -> None:
    model = get_embedder(name)
    out = model.embed([])
    assert out.shape == (0, model.dim) and out.dtype == np.float32


@pytest.mark.parametrize("name", ["minilm-int8", "e5-small", "hashing"])
def test_batch_equals_one_at_a_time_and_keeps_order(name: str) -> None:
    model = get_embedder(name)
    together = model.embed(SENTENCES)
    alone = np.vstack([model.embed([s]) for s in SENTENCES])
    np.testing.assert_allclose(together, alone, atol=1e-4)
    reversed_ = model.embed(SENTENCES[::-1])
    np.testing.assert_allclose(reversed_[::-1], together, atol=1e-4)


def test_minilm_batches_smaller_than_input(minilm: MiniLMEmbedder) -> None:
    small = MiniLMEmbedder(batch_size=2)
    np.testing.assert_allclose(small.embed(SENTENCES), minilm.embed(SENTENCES), atol=1e-4)


def test_minilm_paraphrase_closer_than_unrelated(minilm: MiniLMEmbedder) -> None:
    food, bread, baby, radio = minilm.embed(SENTENCES[:4])
    # all-MiniLM-L6-v2 (fp32) scores this pair about 0.75; int8 weights should stay close.
    assert _cos(food, bread) > 0.7
    assert _cos(food, bread) > _cos(food, baby) + 0.3
    clinical = minilm.embed(["Which painkillers help cancer pain in the bones?",
                             "Analgesia for metastatic bone pain",
                             "How is a broken wrist put in a cast?"])
    assert _cos(clinical[0], clinical[1]) > _cos(clinical[0], clinical[2])
    assert _cos(radio, clinical[1]) > _cos(radio, baby)


def test_minilm_truncates_long_text(minilm: MiniLMEmbedder) -> None:
    long_text = "chemotherapy " * 5000
    vector = minilm.embed([long_text])
    assert vector.shape == (1, 384) and np.isfinite(vector).all()
    # Everything past 256 tokens is cut, so a longer repetition adds nothing.
    np.testing.assert_allclose(vector, minilm.embed(["chemotherapy " * 6000]), atol=1e-5)


def test_minilm_handles_odd_text(minilm: MiniLMEmbedder) -> None:
    vectors = minilm.embed(["", "   ", "?!…", "脊髄圧迫の治療", "Ωμέγα 🙂"])
    assert vectors.shape == (5, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_embed_query_shape() -> None:
    vector = embed_query("dose of apixaban in renal failure")
    assert vector.shape == (384,)
    np.testing.assert_allclose(vector, get_embedder("minilm-int8").embed_query("dose of apixaban in renal failure"))
    assert embed_query("x", "hashing").shape == (256,)


def test_hashing_is_deterministic_and_lexical() -> None:
    a, b = HashingEmbedder(), HashingEmbedder()
    texts = ["spinal cord compression", "compression of the spinal cord", "influenza vaccine in pregnancy"]
    va, vb = a.embed(texts), b.embed(texts)
    np.testing.assert_array_equal(va, vb)
    assert _cos(va[0], va[1]) > _cos(va[0], va[2])
    assert _cos(va[0], va[0]) == pytest.approx(1.0, abs=1e-6)


def test_hashing_text_without_words_is_zero_row() -> None:
    out = HashingEmbedder(dim=64).embed(["", "?!.", "ok"])
    assert out.shape == (3, 64)
    assert not out[0].any() and not out[1].any()
    assert np.linalg.norm(out[2]) == pytest.approx(1.0, abs=1e-6)


def test_bad_input_is_refused() -> None:
    model = get_embedder("hashing")
    with pytest.raises(TypeError, match="not one string"):
        model.embed("a bare string")
    with pytest.raises(TypeError, match="text 1"):
        model.embed(["fine", None])  # type: ignore[list-item]
    with pytest.raises(ValueError):
        HashingEmbedder(dim=1)
    with pytest.raises(ValueError):
        MiniLMEmbedder(batch_size=0)


def test_registry() -> None:
    assert get_embedder("none") is None
    assert get_embedder("hashing") is get_embedder("hashing")
    assert get_embedder("MiniLM-INT8") is get_embedder("minilm-int8")
    with pytest.raises(ValueError, match="unknown embedder 'bert'.*hashing.*minilm-int8.*none"):
        get_embedder("bert")
    with pytest.raises(ValueError, match="embedder 'none'"):
        embed_query("x", "none")


def test_register_a_plugin_embedder() -> None:
    register_embedder("hashing-32", lambda: HashingEmbedder(dim=32))
    try:
        model = get_embedder("hashing-32")
        assert model is not None and model.dim == 32 and model.embed(["a b"]).shape == (1, 32)
    finally:
        EMBEDDERS.pop("hashing-32", None)
    with pytest.raises(ValueError, match="unknown embedder"):
        get_embedder("hashing-32")
    with pytest.raises(ValueError):
        register_embedder("none", HashingEmbedder)


def test_missing_model_file_is_a_clear_error(tmp_path) -> None:
    from medoracle.errors import MedoracleError
    with pytest.raises(MedoracleError, match="model file not found"):
        MiniLMEmbedder(model_path=tmp_path / "absent.onnx").embed(["x"])


def test_e5_questions_and_passages_are_encoded_differently_and_meaningfully() -> None:
    model = get_embedder("e5-small")
    assert isinstance(model, E5SmallEmbedder)
    question = "how is hyperkalaemia treated?"
    q = model.embed_query(question)
    assert q.shape == (model.dim,) and np.linalg.norm(q) == pytest.approx(1.0, abs=1e-5)
    # e5 is asymmetric: the "query: " prefix gives another vector than the same text as a passage
    assert not np.allclose(q, model.embed([question])[0], atol=1e-3)
    passages = model.embed(["Calcium gluconate protects the heart in severe hyperkalaemia; insulin with glucose "
                            "moves potassium into cells.", "Cholera vaccine is given by mouth before travel."])
    assert _cos(q, passages[0]) > _cos(q, passages[1])


def test_threads_setting_reaches_embedders_that_take_it() -> None:
    one, two = get_embedder("minilm-int8", threads=1), get_embedder("minilm-int8", threads=2)
    assert isinstance(one, MiniLMEmbedder) and isinstance(two, MiniLMEmbedder)
    assert (one.threads, two.threads) == (1, 2) and one is get_embedder("minilm-int8", threads=1)
    # a factory without a threads parameter is built as before
    assert get_embedder("hashing", threads=2) is get_embedder("hashing")


def test_a_query_embedder_that_did_not_make_the_vectors_is_refused() -> None:
    check_embedder(None, get_embedder("hashing"))  # no vectors yet: nothing to compare
    check_embedder("hashing", get_embedder("hashing"))
    check_embedder("minilm-int8", None)  # lexical only
    with pytest.raises(EmbedderMismatch, match=r"embedded with 'minilm-int8'.*'hashing'.*--reembed"):
        check_embedder("minilm-int8", get_embedder("hashing"))


def test_recent_vectors_remember_small_calls_only_and_hand_out_copies():
    from medoracle.embed import RecentVectors

    recent = RecentVectors(size=2)
    texts = ["a question", "another"]
    out = np.arange(8, dtype=np.float32).reshape(2, 4)
    assert recent.fill(texts, np.zeros((2, 4), dtype=np.float32)) == [0, 1]
    recent.keep(texts, out, [0, 1])
    out[:] = -1  # the caller's array changes; what was remembered does not
    again = np.zeros((3, 4), dtype=np.float32)
    assert recent.fill(["another", "new", "a question"], again) == [1]
    assert again[0].tolist() == [4, 5, 6, 7] and again[2].tolist() == [0, 1, 2, 3]
    recent.keep(["x"], np.ones((1, 4), dtype=np.float32), [0])  # bounded: the least recently used goes
    assert recent.fill(["another", "a question", "x"], np.zeros((3, 4), dtype=np.float32)) == [0]
    many = [f"passage {i}" for i in range(RecentVectors.SMALL_CALL + 1)]  # bulk embedding passes by
    recent.keep(many, np.ones((len(many), 4), dtype=np.float32), range(len(many)))
    assert recent.fill(many[:1], np.zeros((1, 4), dtype=np.float32)) == [0]


def test_minilm_remembered_vectors_equal_fresh_ones(minilm):
    question = "first-line treatment of stage 1 hypertension in adults over 55"
    first = minilm.embed_query(question)
    first[:] = 0.0  # a caller's change must not reach the next caller
    again = minilm.embed_query(question)
    fresh = MiniLMEmbedder().embed_query(question)
    assert np.allclose(again, fresh, atol=1e-5) and abs(float(np.linalg.norm(again)) - 1.0) < 1e-4
    pair = minilm.embed([question, "an unrelated sentence about gout"])
    assert np.allclose(pair[0], fresh, atol=1e-5)
