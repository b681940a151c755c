"""Batched sampling from a causal language model with a shared-prefix KV cache.

Each unique prompt is prefilled once (left-padded batch, logits of the last position only), its KV
cache is repeated for the samples drawn from it, and rows are decoded with temperature, top-k and
nucleus (top-p) sampling (Holtzman et al. 2020, "The curious case of neural text degeneration").
Rows leave the batch when they finish (EOS, or a newline after some text), so finished answers cost
nothing. Randomness comes only from the ``torch.Generator`` passed in.

Per-answer cost: the wall time of the prefill is shared equally by the rows, and the wall time of each
decode step equally by the rows still active in it; the costs of a batch sum to its wall time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from gaia_sim.answers.models import TEMPLATES, ModelConfig


@dataclass(frozen=True)
class Generated:
    texts: list[str]
    tokens: np.ndarray  # (rows,) generated tokens per answer
    latency_s: np.ndarray  # (rows,) attributed wall seconds per answer


def build_prompt(cfg: ModelConfig, question: str) -> str:
    """The prompt of ``cfg`` for ``question``: template + top-k retrieved passages of its KB."""
    if not cfg.kb:
        return TEMPLATES["plain"].format(question=question)
    from gaia_sim.answers.knowledge import retrieve

    context = "\n".join(retrieve(cfg.kb, question, cfg.passages))
    return TEMPLATES[cfg.template].format(context=context, question=question)


@lru_cache(maxsize=4)
def stop_ids(tok) -> tuple[frozenset, np.ndarray]:
    """(ids that end generation, bool mask over vocab of ids that contain non-whitespace text)."""
    pieces = tok.convert_ids_to_tokens(list(range(len(tok))))
    newline = {i for i, t in enumerate(pieces) if t and "\n" in t}
    eos = {i for i in (tok.eos_token_id, tok.convert_tokens_to_ids("<end_of_turn>")) if isinstance(i, int)}
    texty = np.array([bool(t and t.replace("▁", " ").strip()) for t in pieces])
    return frozenset(newline), frozenset(eos), texty


def sample_next(logits, cfg: ModelConfig, generator):
    """One token per row: temperature, then top-k, then top-p (nucleus) sampling."""
    import torch

    vals, idx = torch.topk(logits, cfg.top_k, dim=-1)  # dividing by T > 0 keeps the order: select first
    probs = torch.softmax(vals.float() / cfg.temperature, dim=-1)
    cum = probs.cumsum(-1)
    probs = probs.masked_fill(cum - probs > cfg.top_p, 0.0)
    pick = torch.multinomial(probs, 1, generator=generator)
    return idx.gather(1, pick).squeeze(1)


def generate(
    model, tok, prompts: list[str], per_prompt: int, cfg: ModelConfig, generator, max_new_tokens: int | None = None
) -> Generated:
    """``per_prompt`` sampled answers to each prompt (rows ordered prompt-major)."""
    import torch

    max_new = max_new_tokens or cfg.max_new_tokens
    newline, eos, texty = stop_ids(tok)
    start = time.perf_counter()
    with torch.inference_mode():
        tok.padding_side = "left"
        enc = tok(prompts, return_tensors="pt", padding=True)
        mask = enc.attention_mask
        pos = (mask.cumsum(-1) - 1).clamp(min=0)
        out = model(input_ids=enc.input_ids, attention_mask=mask, position_ids=pos, use_cache=True, logits_to_keep=1)
        cache = out.past_key_values
        rows = len(prompts) * per_prompt
        cache.batch_repeat_interleave(per_prompt)
        mask, last = mask.repeat_interleave(per_prompt, 0), pos[:, -1].repeat_interleave(per_prompt, 0)
        logits = out.logits[:, -1].repeat_interleave(per_prompt, 0)
        cost = np.full(rows, (time.perf_counter() - start) / rows)
        toks = _decode(model, cache, mask, last, logits, cfg, generator, max_new, (newline, eos, texty), cost)
    texts = [tok.decode(t, skip_special_tokens=True).strip() for t in toks]
    return Generated(texts, np.array([len(t) for t in toks]), cost)


def append_tokens(rows: list[int], tokens: list[int], toks: list[list[int]], started: np.ndarray, stops) -> list[int]:
    """Append each active row's sampled token to its answer unless it ends the answer (EOS, or a
    newline once the answer has some text); returns the positions (in ``rows``) of rows still going.
    The stopping rule of both engines."""
    newline, eos, texty = stops
    keep = []
    for j, (r, t) in enumerate(zip(rows, tokens)):
        if t in eos or (t in newline and started[r]):
            continue
        toks[r].append(t)
        started[r] |= bool(texty[t]) if t < len(texty) else False
        keep.append(j)
    return keep


def _decode(model, cache, mask, last, logits, cfg, generator, max_new, stops, cost) -> list[list[int]]:
    import torch

    rows = len(cost)
    active = torch.arange(rows)
    toks: list[list[int]] = [[] for _ in range(rows)]
    started = np.zeros(rows, dtype=bool)
    for step in range(max_new):
        t0 = time.perf_counter()
        nxt = sample_next(logits, cfg, generator)
        keep = append_tokens(active.tolist(), nxt.tolist(), toks, started, stops)
        if keep and step + 1 < max_new:
            if len(keep) < len(active):
                sel = torch.tensor(keep)
                cache.batch_select_indices(sel)
                active, mask, last, nxt = active[sel], mask[sel], last[sel], nxt[sel]
            mask = torch.cat([mask, mask.new_ones(len(active), 1)], dim=1)
            last = last + 1
            logits = model(
                input_ids=nxt[:, None], attention_mask=mask, position_ids=last[:, None], cache=cache, use_cache=True
            ).logits[:, -1]
        cost[active.numpy()] += (time.perf_counter() - t0) / len(active)
        if not keep or step + 1 >= max_new:
            break
    return toks
