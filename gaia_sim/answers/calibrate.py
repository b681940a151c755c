"""Cost per answer of every configuration, measured interleaved so machine load cancels out.

The latencies recorded while building a bank depend on what else the machine was doing at that
moment (configurations are built minutes apart). For the simulation only *relative* costs matter
(how much a cheater saves), so this measures all generating configurations under the same conditions:
round-robin over configurations, each round one prefill of a bank prompt plus ``steps`` decode steps at
the configuration's batch size; the minimum over rounds of the CPU time (all threads, per torch thread: see ``_clock``) per decode
step and per prefill give

    seconds_per_answer(c) = prefill(c) / samples_per_prompt + step(c) / batch(c) * tokens_per_answer(c)

with ``tokens_per_answer(c)`` each configuration's own mean from the bank (configurations differing only
in seed, laziness or simulated weight rounding share one timing: same computation; the minimum over
rounds is taken for the prefill and the decode step separately). Timed on one torch thread, as the
build's worker processes run: with two threads on a busy machine, waiting threads spin and inflate
the CPU time. Replay costs one generation per question spread over the
replays; a refusal costs nothing. Results go to the manifest key ``calibrated_cost`` (atomic rewrite)
and :meth:`gaia_sim.answers.bank.Bank.cost` prefers them.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from gaia_sim.answers.models import ModelConfig
from gaia_sim.answers.store import atomic_write_json, read_manifest
from gaia_sim.errors import UserError


def _spec_config(cid: str, spec: dict) -> ModelConfig:
    return ModelConfig(id=cid, **dict(spec, drop_layers=tuple(spec.get("drop_layers", ()))))


def _clock() -> float:
    """CPU seconds of this process over all its threads, divided by the torch thread count.

    Unlike wall time this barely moves when other processes share the cores, so costs measured on a
    busy machine stay comparable; on an idle machine it equals wall time when all threads are busy.
    """
    import torch

    return time.process_time() / max(torch.get_num_threads(), 1)


def _time_round(model, tok, cfg: ModelConfig, prompt: str, rows: int, steps: int) -> tuple[float, float]:
    """(prefill seconds, seconds per decode step at ``rows`` rows)."""
    import torch

    with torch.inference_mode():
        enc = tok([prompt], return_tensors="pt")
        t0 = _clock()
        out = model(**enc, use_cache=True, logits_to_keep=1)
        prefill = _clock() - t0
        cache = out.past_key_values
        cache.batch_repeat_interleave(rows)
        mask = enc.attention_mask.repeat_interleave(rows, 0)
        pos = torch.full((rows, 1), enc.input_ids.shape[1] - 1)
        nxt = out.logits[:, -1].argmax(-1).repeat_interleave(rows)[:, None]
        t0 = _clock()
        for _ in range(steps):
            mask, pos = torch.cat([mask, mask.new_ones(rows, 1)], 1), pos + 1
            nxt = (
                model(input_ids=nxt, attention_mask=mask, position_ids=pos, cache=cache, use_cache=True)
                .logits[:, -1]
                .argmax(-1)[:, None]
            )
        return prefill, (_clock() - t0) / steps


def _time_round_fast(engine, tok, cfg: ModelConfig, prompt: str, rows: int, steps: int) -> tuple[float, float]:
    """(prefill seconds, seconds per decode step at ``rows`` rows) of the fast engine
    (:class:`gaia_sim.answers.fastgen.FastGemma`), timed like :func:`_time_round`."""
    import torch

    from gaia_sim.answers.fastgen import new_own_cache

    with torch.inference_mode():
        ids = tok(prompt, return_tensors="pt").input_ids[0]
        t0 = _clock()
        h, prefix = engine.prefill(ids)
        nxt = engine.logits(h).argmax(-1).expand(rows)
        prefill = _clock() - t0
        own = new_own_cache(engine, rows, steps)
        t0 = _clock()
        for step in range(steps):
            nxt = engine.logits(engine.decode_step(nxt, step, prefix, own, len(ids))).argmax(-1)
        return prefill, (_clock() - t0) / steps


def _time_round_llamacpp(engine, tok, cfg: ModelConfig, prompt: str, rows: int, steps: int) -> tuple[float, float]:
    """(prefill seconds, seconds per decode step at ``rows`` rows) of the llama.cpp engine
    (:class:`gaia_sim.answers.llamagen.LlamaCppEngine`, one thread), timed like :func:`_time_round`."""
    ids = tok(prompt).input_ids
    t0 = _clock()
    nxt = int(engine.prefill(ids, rows).argmax())
    prefill = _clock() - t0
    tokens, active = [nxt] * rows, list(range(rows))
    t0 = _clock()
    for step in range(steps):
        tokens = engine.step(tokens, active, len(ids) + step).argmax(-1).tolist()
    return prefill, (_clock() - t0) / steps


TIMERS = {"fast": _time_round_fast, "llamacpp": _time_round_llamacpp}  # else the transformers model


def _computation(cfg: ModelConfig) -> str:
    """Configurations that differ only in sampling seed, laziness or simulated weight rounding run the
    same computation (``weight_bits`` rounds the weights but computes with them dequantized, in the
    claimed stack's dtype: no real low-bit kernel, so no saving)."""
    import json

    spec = cfg.spec()
    for k in ("seed", "lazy", "weight_bits"):
        spec.pop(k, None)
    return json.dumps(spec, sort_keys=True)


def calibrate(
    root: Path, rounds: int = 5, steps: int = 8, log=print, only: list[str] | None = None
) -> dict[str, float]:
    """Measure and store ``calibrated_cost`` (seconds per answer) for every configuration of the bank,
    or only for the configurations ``only`` (e.g. new ones), timed interleaved with the claimed one and
    scaled to its stored cost, so the costs already stored (and every result priced with them) stay.

    Each round times every distinct computation once, in a fixed order; a computation's cost is its
    minimum over rounds, the least disturbed measurement (on a shared machine interference only ever
    adds time; identical computations measured here varied by up to 5x between rounds, while minima
    over rounds agreed within ~30%).
    """
    from gaia_sim.answers.bank import Bank
    from gaia_sim.answers.build import load_engine
    from gaia_sim.answers.generate import build_prompt

    bank, manifest = Bank.load(root), read_manifest(root)
    samples, question = manifest["samples"], manifest["questions"][0]["text"]
    configs = {c: _spec_config(c, manifest["configs"][c]["spec"]) for c in bank.configs}
    claimed = bank.role_config("claimed")
    stored = manifest.get("calibrated_cost", {}).get("seconds_per_answer", {})
    if only is not None:
        unknown = sorted(set(only) - set(configs))
        if unknown:
            raise UserError(f"--only: unknown configurations {unknown}; allowed: {sorted(configs)}")
        if claimed not in stored:
            raise UserError(
                f"{Path(root) / 'manifest.json'}: no stored cost of {claimed!r} to price new configurations against; calibrate them all"
            )
        timed = set(only) | {claimed}
        configs = {c: cfg for c, cfg in configs.items() if c in timed}
    keys = {c: _computation(cfg) for c, cfg in configs.items() if cfg.lazy != "refusal"}
    reps = {k: next(c for c in configs if keys.get(c) == k) for k in dict.fromkeys(keys.values())}
    models = {k: load_engine(configs[c], log) for k, c in reps.items()}
    t = {k: [] for k in reps}
    for r in range(rounds):
        for k, c in reps.items():
            cfg = configs[c]
            timer = TIMERS.get(cfg.engine, _time_round)
            t[k].append(timer(*models[k], cfg, build_prompt(cfg, question), min(cfg.batch_size, samples), steps))
        log(f"calibration round {r + 1}/{rounds} done")
    best = {k: np.min(np.array(v), axis=0) for k, v in t.items()}  # (prefill, step): each its least disturbed
    cost = {
        c: _per_answer(cfg, best.get(keys.get(c)), samples, bank.cost(c).tokens_per_answer)
        for c, cfg in configs.items()
    }
    if only is not None:  # priced against the claimed configuration's stored cost
        scale = stored[claimed] / cost[claimed]
        cost = stored | {c: v * scale for c, v in cost.items() if c != claimed}
    manifest["calibrated_cost"] = {"seconds_per_answer": cost, "rounds": rounds, "decode_steps": steps}
    atomic_write_json(Path(root) / "manifest.json", manifest)
    return cost


def _per_answer(cfg: ModelConfig, timing, samples: int, tokens: float) -> float:
    """Seconds per answer of ``cfg`` from its computation's (prefill, decode step) timing and its own
    mean tokens per answer; a replay spreads one generation over ``samples`` requests, a refusal is free."""
    if cfg.lazy == "refusal":
        return 0.0
    prefill, step = timing
    one = float(prefill / samples + step / min(cfg.batch_size, samples) * tokens)
    return one / samples if cfg.lazy == "replay" else one
