"""The llama.cpp engine (optional extra ``gaia-sim[llamacpp]``): configuration rules, and, where
llama-cpp-python is installed, seeded and deterministic generation on the shipped GGUF."""

from dataclasses import replace

import pytest

from gaia_sim.answers import llamagen
from gaia_sim.answers.models import ModelConfig
from gaia_sim.answers.zoo import default_zoo
from gaia_sim.errors import UserError

NEEDS_ENGINE = pytest.mark.skipif(llamagen.missing_reason() is not None, reason=str(llamagen.missing_reason()))


def zoo_config(cid: str) -> ModelConfig:
    (cfg,) = [c for c in default_zoo()[0] if c.id == cid]
    return cfg


LLAMACPP, LOW_BIT = "gemma3-270m/vellmar/llamacpp", "gemma3-270m-q2k/vellmar"


def test_llamacpp_config_is_the_claimed_stack_on_another_engine():
    claimed = default_zoo()[0][0]
    cfg = zoo_config(LLAMACPP)
    assert cfg.engine == "llamacpp" and default_zoo()[1]["engine_variants"] == [LLAMACPP]
    differ = {k for k, v in cfg.spec().items() if claimed.spec().get(k) != v}
    assert differ == {"engine", "dtype"}  # dtype is not used by llama.cpp (the GGUF's own arithmetic)


@pytest.mark.parametrize("bad", [dict(weight_bits=4), dict(drop_layers=(3,)), dict(base="google/gemma-3-270m")])
def test_llamacpp_runs_the_shipped_gguf_only(bad):
    with pytest.raises(UserError, match="llamacpp"):
        ModelConfig("x", engine="llamacpp", **bad)


def test_missing_engine_is_a_clear_user_error(monkeypatch):
    from gaia_sim.answers.build import load_engine

    monkeypatch.setattr(llamagen, "missing_reason", lambda: llamagen.MISSING)
    with pytest.raises(UserError, match="llama-cpp-python is not installed"):
        load_engine(zoo_config(LLAMACPP), log=lambda _: None)


@NEEDS_ENGINE
def test_generation_is_seeded_and_deterministic():
    import torch

    from gaia_sim.answers.build import load_engine
    from gaia_sim.answers.generate import build_prompt

    cfg = replace(zoo_config(LLAMACPP), batch_size=4)
    engine, tok = load_engine(cfg, log=lambda _: None)
    prompt = build_prompt(cfg, "When was Vellmar founded, and by whom?")
    run = lambda seed: llamagen.generate_llamacpp(engine, tok, prompt, 4, cfg, torch.Generator().manual_seed(seed), 12)
    (a, cost), (b, _), (c, _) = run(0), run(0), run(1)
    engine.close()
    assert a == b and a != c
    assert all(0 < len(t) <= 12 for t in a) and (cost > 0).all()


def test_low_bit_config_is_the_llamacpp_stack_on_a_requantized_file():
    cfg, stack = zoo_config(LOW_BIT), zoo_config(LLAMACPP)
    assert default_zoo()[1]["low_bit"] == LOW_BIT
    assert {k for k, v in cfg.spec().items() if stack.spec().get(k) != v} == {"gguf_type"}
    assert "gguf_type" not in stack.spec()  # omitted at its default: older configurations keep their hash


@pytest.mark.parametrize("bad", [dict(gguf_type="Q1_X", engine="llamacpp"), dict(gguf_type="Q2_K", engine="fast")])
def test_gguf_type_is_checked(bad):
    with pytest.raises(UserError, match="gguf_type"):
        ModelConfig("x", **bad)


@NEEDS_ENGINE
def test_requantized_file_is_made_once_and_computes_differently(tmp_path):
    import torch

    from gaia_sim.answers.build import load_engine
    from gaia_sim.answers.calibrate import _time_round_llamacpp
    from gaia_sim.answers.generate import build_prompt
    from gaia_sim.answers.models import gguf_file

    source = tmp_path / "m.gguf"
    source.symlink_to(gguf_file())
    made = llamagen.requantized_gguf(source, "Q2_K")
    assert made.is_file() and made.stat().st_size < gguf_file().stat().st_size
    stamp = made.stat().st_mtime_ns
    assert llamagen.requantized_gguf(source, "Q2_K") == made and made.stat().st_mtime_ns == stamp
    logits = {}
    for cid in (LLAMACPP, LOW_BIT):
        cfg = replace(zoo_config(cid), batch_size=2)
        engine, tok = load_engine(cfg, log=lambda _: None)
        prompt = build_prompt(cfg, "When was Vellmar founded, and by whom?")
        logits[cid] = engine.prefill(tok(prompt).input_ids, 2)
        prefill, step = _time_round_llamacpp(engine, tok, cfg, prompt, 2, 2)
        engine.close()
        assert prefill > 0 and step > 0
    assert not torch.allclose(torch.from_numpy(logits[LLAMACPP]), torch.from_numpy(logits[LOW_BIT]), atol=1e-3)
