"""The fast engine computes the Hugging Face model's function: logits compared on the real Gemma 3 270M.

The reference is transformers' own forward pass of the same weights; float32 matrix products must
agree to float rounding, bf16 products only to bf16 rounding, and the sampled answers of a seeded
build must repeat byte for byte.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from gaia_sim.answers.build import BuildPlan, build, chunk_key, chunks_of, deal  # noqa: E402
from gaia_sim.answers.fastgen import FastGemma, new_own_cache  # noqa: E402
from gaia_sim.answers.generate import build_prompt  # noqa: E402
from gaia_sim.answers.knowledge import load_questions  # noqa: E402
from gaia_sim.answers.models import ModelConfig, converted_dir, drop_layers, load_pretrained  # noqa: E402
from gaia_sim.answers.store import read_answers  # noqa: E402
from gaia_sim.answers.zoo import DEFAULT_ROOT_SEED, DEFAULT_SAMPLES, default_questions, default_zoo  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def hf_model():
    torch.set_num_threads(1)
    return load_pretrained(str(converted_dir()), "float32")


def _prompt_ids(tok):
    cfg = ModelConfig("t")
    return tok(build_prompt(cfg, "When was Vellmar founded, and by whom?"), return_tensors="pt").input_ids


def _reference(model, ids):
    with torch.inference_mode():
        return model(input_ids=ids).logits[0, -1]


def _fast_decode(engine, ids, continuations):
    """Logits after feeding each row's continuation tokens one step at a time after the shared prompt."""
    with torch.inference_mode():
        _, prefix = engine.prefill(ids[0])
        rows = len(continuations)
        own = new_own_cache(engine, rows, len(continuations[0]))
        for step in range(len(continuations[0])):
            tokens = torch.tensor([c[step] for c in continuations])
            h = engine.decode_step(tokens, step, prefix, own, ids.shape[1])
        return engine.logits(h)


def test_float32_engine_reproduces_transformers_logits(hf_model):
    model, tok = hf_model
    ids = _prompt_ids(tok)
    engine = FastGemma(model, "float32")
    with torch.inference_mode():
        h, _ = engine.prefill(ids[0])
        prefill = engine.logits(h)[0]
    assert (prefill - _reference(model, ids)).abs().max() < 1e-3
    continuations = [[5, 11, 17], [7, 13, 19]]
    fast = _fast_decode(engine, ids, continuations)
    for row, cont in enumerate(continuations):
        ref = _reference(model, torch.cat([ids[0], torch.tensor(cont)])[None])
        assert (fast[row] - ref).abs().max() < 1e-3
        assert fast[row].argmax() == ref.argmax()


def test_bfloat16_engine_is_close_but_not_identical(hf_model):
    """bf16 products are a different numeric stack: close to float32, measurably not equal."""
    model, tok = hf_model
    ids = _prompt_ids(tok)
    with torch.inference_mode():
        h, _ = FastGemma(model, "bfloat16").prefill(ids[0])
        bf = FastGemma(model, "bfloat16").logits(h)[0]
    ref = _reference(model, ids)
    gap = (bf - ref).abs().max().item()
    assert 1e-4 < gap < 1.0
    assert bf.topk(5).indices[0] == ref.topk(5).indices[0]


def test_engine_follows_dropped_layers(hf_model):
    """A variant applied to the Hugging Face model (layers removed) is what the engine computes."""
    model, tok = hf_model
    small, _ = load_pretrained(str(converted_dir()), "float32")
    drop_layers(small, (12, 13, 14, 15))
    ids = _prompt_ids(tok)
    engine = FastGemma(small, "float32")
    assert len(engine.layers) == 14
    with torch.inference_mode():
        h, _ = engine.prefill(ids[0])
        assert (engine.logits(h)[0] - _reference(small, ids)).abs().max() < 1e-3


def test_split_build_is_byte_identical_to_a_single_process(tmp_path):
    """Same seed, same bytes: two worker processes write the same answers as one process."""
    configs, roles = default_zoo()
    claimed = next(c for c in configs if c.id == roles["claimed"])
    questions = tuple(q for q in load_questions() if q.id in ("vel-founded", "gen-sky"))
    out = {}
    for name, workers in (("one", 1), ("two", 2)):
        plan = BuildPlan(tmp_path / name, [claimed], {"claimed": claimed.id}, questions, 3, DEFAULT_ROOT_SEED)
        manifest = build(plan, progress=False, log=lambda s: None, workers=workers)
        h = manifest["configs"][claimed.id]["hash"]
        out[name] = read_answers(tmp_path / name / "answers" / f"{h}.npz")[0]
    assert out["one"].texts == out["two"].texts
    assert (out["one"].embeddings == out["two"].embeddings).all()


def test_calibration_times_the_fast_engine_itself(hf_model):
    """``bank calibrate`` prices a fast-engine stack by timing that engine's prefill and decode steps."""
    from gaia_sim.answers.calibrate import _time_round_fast

    model, tok = hf_model
    engine = FastGemma(model, "float32")
    cfg = ModelConfig("t", engine="fast")
    prefill, step = _time_round_fast(engine, tok, cfg, build_prompt(cfg, "When was Vellmar founded?"), 4, 3)
    assert prefill > 0 and step > 0


def test_worker_processes_are_dealt_equal_shares_of_chunks():
    """Two workers get 6 and 6 of 12 one-question chunks (a hash of the chunk name gave 8 and 4, so the
    build waited on one process for a third of its time); every chunk goes to exactly one worker."""
    configs, roles = default_zoo()
    claimed = next(c for c in configs if c.id == roles["claimed"])
    bank_qs = default_questions(load_questions())
    vel, gen = [q for q in bank_qs if q.kb], [q for q in bank_qs if not q.kb]
    questions = [q for pair in zip(vel, gen) for q in pair][:12]
    keys = [chunk_key("h1", c) for c in chunks_of(claimed, questions, DEFAULT_SAMPLES)]
    keys += [chunk_key("h2", c) for c in chunks_of(claimed, questions[:5], DEFAULT_SAMPLES)]
    shares = deal(keys, 2)
    assert sorted(k for s in shares for k in s) == sorted(keys)
    assert [len(s) for s in shares] == [9, 8]
    assert [sum(k.startswith("h1/") for k in s) for s in shares] == [6, 6]
