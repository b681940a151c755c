"""The llama.cpp engine (optional extra ``gaia-sim[llamacpp]``): configuration rules, and, where
llama-cpp-python is installed, seeded and deterministic generation on the shipped GGUF."""

from dataclasses import replace

import pytest

from gaia_sim.answers import llamagen
from gaia_sim.answers.models import ModelConfig
from gaia_sim.answers.zoo import default_zoo, extra_configs
from gaia_sim.errors import UserError

NEEDS_ENGINE = pytest.mark.skipif(llamagen.missing_reason() is not None, reason=str(llamagen.missing_reason()))


def test_llamacpp_config_is_the_claimed_stack_on_another_engine():
    claimed = default_zoo()[0][0]
    (cfg,) = [c for c in extra_configs() if c.id == "gemma3-270m/vellmar/llamacpp"]
    assert cfg.engine == "llamacpp"
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
        load_engine(extra_configs()[0], log=lambda _: None)


@NEEDS_ENGINE
def test_generation_is_seeded_and_deterministic():
    import torch

    from gaia_sim.answers.build import load_engine
    from gaia_sim.answers.generate import build_prompt

    cfg = replace(extra_configs()[0], batch_size=4)
    engine, tok = load_engine(cfg, log=lambda _: None)
    prompt = build_prompt(cfg, "When was Vellmar founded, and by whom?")
    run = lambda seed: llamagen.generate_llamacpp(engine, tok, prompt, 4, cfg, torch.Generator().manual_seed(seed), 12)
    (a, cost), (b, _), (c, _) = run(0), run(0), run(1)
    engine.close()
    assert a == b and a != c
    assert all(0 < len(t) <= 12 for t in a) and (cost > 0).all()
