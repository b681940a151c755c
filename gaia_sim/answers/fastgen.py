"""A fast Gemma 3 decoder for the answer bank: shared-prefix KV cache, batched sampling, bf16 matmuls.

The reference path (:mod:`gaia_sim.answers.generate`) runs the Hugging Face model as it is. This
engine reads the same weights (after any variant was applied: layers dropped, weights re-quantized)
and computes the same function with three changes that make a bank buildable on a 2-core CPU:

1. **The prompt is computed once per question.** Its keys and values are kept once, not copied per
   sample; every sample attends to the shared prefix with one matrix product over all rows, and to
   its own generated tokens through a small per-row cache preallocated for ``max_new_tokens``.
2. **Matrix products in bfloat16, everything else in float32** (``matmul_dtype="bfloat16"``): the
   weights are stored once in bf16, which this CPU multiplies with AMX tiles (~1 TFLOP/s against
   ~0.17 in float32); norms, rotary embeddings, softmax and the residual stream stay in float32,
   as mixed-precision serving engines do. With ``matmul_dtype="float32"`` the engine reproduces the
   Hugging Face float32 model to float rounding (``tests/test_fastgen.py`` checks the logits).
3. **No framework dispatch per layer**: a plain loop over the layers' weights.

Architecture implemented (Gemma Team 2025, "Gemma 3 technical report"; transformers'
``modeling_gemma3``): token embedding scaled by sqrt(hidden); per layer RMSNorm (1 + w) before and
after attention and MLP; grouped-query attention with RMSNorm on queries and keys, rotary position
embeddings with a local base for sliding-window layers and a global base for full-attention layers,
scores scaled by ``query_pre_attn_scalar^-1/2``; GELU (tanh) gated MLP; final norm; tied LM head.
Sliding-window layers see the last ``sliding_window`` positions (key k is visible from query q when
q - window < k <= q).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MATMUL_DTYPES = ("float32", "bfloat16")


@dataclass
class _Layer:
    wq: object
    wk: object
    wv: object
    wo: object
    w_gate_up: object
    w_down: object
    norms: tuple  # input, post_attention, pre_feedforward, post_feedforward, q, k (float32, 1 + w)
    sliding: bool
    inv_freq: object


class FastGemma:
    """The decoder of one Hugging Face Gemma 3 causal LM, with its weights cast for ``matmul_dtype``."""

    def __init__(self, model, matmul_dtype: str = "bfloat16"):
        import torch

        if matmul_dtype not in MATMUL_DTYPES:
            raise ValueError(f"matmul_dtype must be one of {MATMUL_DTYPES}")
        cfg = model.config
        self.dtype = getattr(torch, matmul_dtype)
        self.heads, self.kv_heads, self.head_dim = cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim
        self.scaling = cfg.query_pre_attn_scalar**-0.5
        self.eps = cfg.rms_norm_eps
        self.window = cfg.sliding_window
        self.hidden = cfg.hidden_size
        inner = model.model
        self.embed = inner.embed_tokens.weight.detach().float()
        self.embed_scale = float(torch.tensor(math.sqrt(self.hidden), dtype=torch.float32))
        self.lm_head = model.lm_head.weight.detach().to(self.dtype).contiguous()
        self.final_norm = 1.0 + inner.norm.weight.detach().float()
        self.layers = [self._layer(layer, kind, cfg) for layer, kind in zip(inner.layers, cfg.layer_types)]

    def _layer(self, layer, kind: str, cfg) -> _Layer:
        import torch

        a, m = layer.self_attn, layer.mlp
        w = lambda lin: lin.weight.detach().to(self.dtype).t().contiguous()  # noqa: E731
        n = lambda norm: 1.0 + norm.weight.detach().float()  # noqa: E731
        base = cfg.rope_parameters[kind]["rope_theta"]
        inv_freq = 1.0 / (base ** (torch.arange(0, self.head_dim, 2, dtype=torch.float) / self.head_dim))
        return _Layer(
            w(a.q_proj),
            w(a.k_proj),
            w(a.v_proj),
            w(a.o_proj),
            torch.cat([w(m.gate_proj), w(m.up_proj)], dim=1).contiguous(),
            w(m.down_proj),
            tuple(
                n(x)
                for x in (
                    layer.input_layernorm,
                    layer.post_attention_layernorm,
                    layer.pre_feedforward_layernorm,
                    layer.post_feedforward_layernorm,
                    a.q_norm,
                    a.k_norm,
                )
            ),
            kind == "sliding_attention",
            inv_freq,
        )

    # -- numeric building blocks -------------------------------------------------------------------
    def _mm(self, x, w):
        return (x.to(self.dtype) @ w).float()

    def _norm(self, x, scale):
        import torch

        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * scale

    def _rope(self, x, positions, inv_freq):
        """Rotary embedding of ``x`` (..., positions, head_dim) at integer ``positions``."""
        import torch

        freqs = positions[:, None].float() * inv_freq
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        half = x.shape[-1] // 2
        rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
        return x * cos + rotated * sin

    def _mlp(self, layer, h):
        import torch

        gate, up = self._mm(h, layer.w_gate_up).split(layer.w_down.shape[0], dim=-1)
        return self._mm(torch.nn.functional.gelu(gate, approximate="tanh") * up, layer.w_down)

    def logits(self, h):
        """Logits of the final hidden states ``h`` (rows, hidden), in the matrix products' dtype: bf16 logits
        are not widened here, since sampling picks its top-k first and widens only those (the same tokens,
        without writing and reading rows x 262k float32 values every step)."""
        return self._norm(h, self.final_norm).to(self.dtype) @ self.lm_head.t()

    # -- prefill: one prompt, all positions --------------------------------------------------------
    def prefill(self, ids):
        """(last-position hidden state (1, hidden), per-layer (keys, values) of shape (kv_heads, T, d))."""
        import torch

        t = len(ids)
        pos = torch.arange(t)
        h = self.embed[torch.as_tensor(ids)] * self.embed_scale
        visible = pos[None, :] <= pos[:, None]
        local = visible & (pos[None, :] > pos[:, None] - self.window)
        prefix = []
        for layer in self.layers:
            x = self._norm(h, layer.norms[0])
            q, k, v = self._qkv(layer, x, pos)  # (heads, T, d), (kv, T, d)
            mask = local if layer.sliding else visible
            rep = self.heads // self.kv_heads
            att = torch.nn.functional.scaled_dot_product_attention(
                q[None],
                k.repeat_interleave(rep, 0)[None],
                v.repeat_interleave(rep, 0)[None],
                attn_mask=mask,
                scale=self.scaling,
            )[0]
            h = self._residual(layer, h, att.transpose(0, 1).reshape(t, -1))
            prefix.append((k, v))
        return h[-1:], prefix

    def _qkv(self, layer, x, pos):
        """Queries (heads, rows, d) and keys, values (kv_heads, rows, d) of ``x`` (rows, hidden) at ``pos``."""
        rows = x.shape[0]
        q = self._mm(x, layer.wq).view(rows, self.heads, self.head_dim).transpose(0, 1)
        k = self._mm(x, layer.wk).view(rows, self.kv_heads, self.head_dim).transpose(0, 1)
        v = self._mm(x, layer.wv).view(rows, self.kv_heads, self.head_dim).transpose(0, 1)
        q = self._rope(self._norm(q, layer.norms[4]), pos, layer.inv_freq)
        k = self._rope(self._norm(k, layer.norms[5]), pos, layer.inv_freq)
        return q, k, v

    def _residual(self, layer, h, att):
        h = h + self._norm(self._mm(att, layer.wo), layer.norms[1])
        return h + self._norm(self._mlp(layer, self._norm(h, layer.norms[2])), layer.norms[3])

    # -- decode: many rows sharing one prefix ------------------------------------------------------
    def decode_step(self, ids, step: int, prefix, own, t0: int):
        """Hidden states (rows, hidden) after feeding token ``ids`` (rows,) at position ``t0 + step``.

        ``prefix``: per-layer (keys, values) of the shared prompt, (kv, T, d); ``own``: per-layer
        (keys, values) buffers (rows, kv, max_new, d) this call writes position ``step`` into.
        """
        import torch

        rows = len(ids)
        pos = torch.tensor([t0 + step])
        h = self.embed[ids] * self.embed_scale
        rep = self.heads // self.kv_heads
        for layer, (pk, pv), (ok, ov) in zip(self.layers, prefix, own):
            x = self._norm(h, layer.norms[0])
            q, k, v = self._qkv(layer, x, pos.expand(rows))  # q: (heads, rows, d), k/v: (kv, rows, d)
            ok[:, :, step] = k.transpose(0, 1)
            ov[:, :, step] = v.transpose(0, 1)
            start = max(0, t0 + step - self.window + 1) if layer.sliding else 0
            att = self._attend(q, pk[:, start:], pv[:, start:], ok[:, :, : step + 1], ov[:, :, : step + 1], rep)
            h = self._residual(layer, h, att)
        return h

    def _attend(self, q, pk, pv, ok, ov, rep):
        """Attention of q (heads, rows, d) over the shared prefix (kv, T, d) and each row's own keys
        (rows, kv, S, d): one softmax over both parts."""
        import torch

        heads, rows, d = q.shape
        qg = q.view(self.kv_heads, rep, rows, d)
        s_pre = torch.einsum("grnd,gtd->grnt", qg, pk) * self.scaling  # (kv, rep, rows, T)
        s_own = torch.einsum("grnd,ngsd->grns", qg, ok) * self.scaling  # (kv, rep, rows, S)
        p = torch.softmax(torch.cat([s_pre, s_own], dim=-1), dim=-1)
        t = pk.shape[1]
        out = torch.einsum("grnt,gtd->grnd", p[..., :t], pv) + torch.einsum("grns,ngsd->grnd", p[..., t:], ov)
        return out.reshape(heads, rows, d).transpose(0, 1).reshape(rows, heads * d)


def new_own_cache(engine: FastGemma, rows: int, max_new: int):
    """Per-layer (keys, values) buffers for ``rows`` rows of up to ``max_new`` generated tokens."""
    import torch

    shape = (rows, engine.kv_heads, max_new, engine.head_dim)
    return [(torch.zeros(shape), torch.zeros(shape)) for _ in engine.layers]


def select_rows(own, keep):
    """The own-cache of the rows ``keep`` (a LongTensor), for when finished rows leave the batch."""
    return [(k.index_select(0, keep), v.index_select(0, keep)) for k, v in own]


def generate_fast(engine: FastGemma, tok, prompt: str, rows: int, cfg, generator, max_new: int):
    """``rows`` sampled answers to one prompt: (token lists, attributed wall seconds per row).

    Sampling and stopping are those of the reference path (:func:`gaia_sim.answers.generate.sample_next`,
    a row stops at EOS or at a newline after some text); the prefill's wall time is shared equally by
    the rows and each decode step's by the rows still active in it.
    """
    import time

    import torch

    from gaia_sim.answers.generate import append_tokens, sample_next, stop_ids

    stops = stop_ids(tok)
    start = time.perf_counter()
    with torch.inference_mode():
        ids = tok(prompt, return_tensors="pt").input_ids[0]
        h, prefix = engine.prefill(ids)
        logits = engine.logits(h).expand(rows, -1)
        own = new_own_cache(engine, rows, max_new)
        cost = np.full(rows, (time.perf_counter() - start) / rows)
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
                    own, active, nxt = select_rows(own, sel), active[sel], nxt[sel]
                logits = engine.logits(engine.decode_step(nxt, step, prefix, own, len(ids)))
            cost[active.numpy()] += (time.perf_counter() - t0) / len(active)
            if not keep or step + 1 >= max_new:
                break
    return toks, cost
