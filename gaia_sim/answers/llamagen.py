"""A second engine: llama.cpp on the shipped Q4_K_M GGUF with its real 4/6-bit kernels (optional).

Where :mod:`gaia_sim.answers.fastgen` computes with weights dequantized to float32/bfloat16, this
engine runs the GGUF file itself through llama.cpp (Gerganov et al., https://github.com/ggml-org/llama.cpp;
Python bindings ``llama-cpp-python``, the optional extra ``gaia-sim[llamacpp]``): the Q4_K / Q6_K
blocks are multiplied by llama.cpp's quantized dot-product kernels, as a real node serving that file
would. The prompt is decoded once into sequence 0 and shared by all rows with
``llama_memory_seq_cp`` (a unified KV cache), then each decode step submits one token per active row.

Sampling and stopping are the project's own (:func:`gaia_sim.answers.generate.sample_next`,
:func:`gaia_sim.answers.generate.append_tokens`) on llama.cpp's float32 logits, with the same
seeded torch generator as the other engines; prompts are tokenized by the same tokenizer. So the
stack differs from the claimed one only in the engine and its arithmetic.

Weight repacking for AMX (``use_extra_bufts``) is switched off: on this VM that path dies with an
illegal instruction (docs/answers.md). One thread per process, as for the fast engine.
"""

from __future__ import annotations

import ctypes
import time
import weakref
from functools import lru_cache
from pathlib import Path

import numpy as np

MISSING = "llama-cpp-python is not installed (pip install 'gaia-sim[llamacpp]'; it builds llama.cpp, ~25 min)"


def requantized_gguf(source: Path, gguf_type: str) -> Path:
    """``source`` requantized to llama.cpp file type ``gguf_type`` (e.g. "Q2_K") by llama.cpp's own
    quantizer (``llama_model_quantize``, requantizing the Q4_K_M blocks), made once beside it and
    renamed into place when complete. Tensors whose rows do not split into the type's blocks (Gemma 3
    270M's 640 columns for the 256-wide K-quants) fall back to llama.cpp's choice (Q4_0 / Q5_0):
    the file's real arithmetic, as a node running it would get."""
    import llama_cpp as ll

    from gaia_sim.atomic import atomic_write

    target = source.with_name(f"{source.stem}-{gguf_type.lower()}.gguf")
    if target.exists():
        return target
    ll.llama_log_set(_quiet_log(), None)
    params = ll.llama_model_quantize_default_params()
    params.ftype = getattr(ll, f"LLAMA_FTYPE_MOSTLY_{gguf_type}")
    params.allow_requantize, params.nthread = True, 1

    def quantize(tmp: Path) -> None:
        if ll.llama_model_quantize(str(source).encode(), str(tmp).encode(), ctypes.byref(params)) != 0:
            raise RuntimeError(f"llama.cpp could not requantize {source} to {gguf_type}")

    return atomic_write(target, quantize)


def missing_reason() -> str | None:
    """Why the engine cannot run here (for pytest skips and error messages), or None."""
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        return MISSING
    return None


class LlamaCppEngine:
    """One llama.cpp model and context over a GGUF file: ``max_rows`` sequences of ``n_ctx`` tokens in all."""

    def __init__(self, gguf_path, max_rows: int = 64, n_ctx: int = 8192, threads: int = 1):
        import llama_cpp as ll

        self.ll = ll
        ll.llama_backend_init()
        ll.llama_log_set(_quiet_log(), None)
        mparams = ll.llama_model_default_params()
        mparams.use_extra_bufts = False  # AMX repacking: illegal instruction on this VM
        self.model = ll.llama_model_load_from_file(str(gguf_path).encode(), mparams)
        if not self.model:
            raise RuntimeError(f"llama.cpp could not load {gguf_path}")
        cparams = ll.llama_context_default_params()
        cparams.n_ctx, cparams.n_batch, cparams.n_ubatch = n_ctx, 512, 512
        cparams.n_seq_max, cparams.kv_unified = max_rows, True
        cparams.n_threads = cparams.n_threads_batch = threads
        self.ctx = ll.llama_init_from_model(self.model, cparams)
        self.vocab = ll.llama_vocab_n_tokens(ll.llama_model_get_vocab(self.model))
        self.max_rows = max_rows
        self.batch = ll.llama_batch_init(max(512, max_rows), 0, max_rows)
        self._free = weakref.finalize(self, _free, ll, self.batch, self.ctx, self.model)

    def close(self) -> None:
        """Free the batch, context and model (also done when the engine is garbage-collected or at exit)."""
        self._free()

    def prefill(self, ids: list[int], rows: int) -> np.ndarray:
        """Decode the prompt into sequence 0, share it with sequences 1..rows-1; the last position's logits."""
        ll = self.ll
        mem = ll.llama_get_memory(self.ctx)
        ll.llama_memory_clear(mem, True)
        for start in range(0, len(ids), 512):
            part = ids[start : start + 512]
            last = start + len(part) == len(ids)
            self._submit([(t, start + i, 0, last and i == len(part) - 1) for i, t in enumerate(part)])
        for seq in range(1, rows):
            ll.llama_memory_seq_cp(mem, 0, seq, -1, -1)
        return self._logits([self.batch.n_tokens - 1])[0]

    def step(self, tokens: list[int], rows: list[int], pos: int) -> np.ndarray:
        """One decode step: token ``tokens[j]`` at position ``pos`` of sequence ``rows[j]``; their logits."""
        self._submit([(t, pos, r, True) for t, r in zip(tokens, rows)])
        return self._logits(list(range(len(tokens))))

    def _submit(self, items) -> None:
        b = self.batch
        b.n_tokens = len(items)
        for i, (tok, pos, seq, want) in enumerate(items):
            b.token[i], b.pos[i], b.n_seq_id[i], b.seq_id[i][0], b.logits[i] = tok, pos, 1, seq, want
        rc = self.ll.llama_decode(self.ctx, b)
        if rc != 0:
            raise RuntimeError(f"llama_decode returned {rc}")

    def _logits(self, positions: list[int]) -> np.ndarray:
        out = np.empty((len(positions), self.vocab), dtype=np.float32)
        for j, i in enumerate(positions):
            ptr = self.ll.llama_get_logits_ith(self.ctx, i)
            out[j] = np.ctypeslib.as_array(ctypes.cast(ptr, ctypes.POINTER(ctypes.c_float)), shape=(self.vocab,))
        return out


@lru_cache(maxsize=1)
def _quiet_log():
    """A llama.cpp log callback that drops its load-time chatter (kept alive by the cache)."""
    import llama_cpp as ll

    return ll.llama_log_callback(lambda level, text, user_data: None)


def _free(ll, batch, ctx, model) -> None:
    ll.llama_batch_free(batch)
    ll.llama_free(ctx)
    ll.llama_model_free(model)


def generate_llamacpp(engine: LlamaCppEngine, tok, prompt: str, rows: int, cfg, generator, max_new: int):
    """``rows`` sampled answers to one prompt: (token lists, attributed wall seconds per row).

    The contract of :func:`gaia_sim.answers.fastgen.generate_fast`: the prefill's wall time is shared
    equally by the rows and each decode step's by the rows still active in it.
    """
    import torch

    from gaia_sim.answers.generate import append_tokens, sample_next, stop_ids

    stops = stop_ids(tok)
    start = time.perf_counter()
    ids = tok(prompt).input_ids
    logits = torch.from_numpy(engine.prefill(ids, rows)).expand(rows, -1)
    cost = np.full(rows, (time.perf_counter() - start) / rows)
    active = list(range(rows))
    toks: list[list[int]] = [[] for _ in range(rows)]
    started = np.zeros(rows, dtype=bool)
    for step in range(max_new):
        t0 = time.perf_counter()
        nxt = sample_next(logits, cfg, generator).tolist()
        keep = append_tokens(active, nxt, toks, started, stops)
        active, nxt = [active[j] for j in keep], [nxt[j] for j in keep]
        if active and step + 1 < max_new:
            logits = torch.from_numpy(engine.step(nxt, active, len(ids) + step))
        cost[active] += (time.perf_counter() - t0) / max(len(active), 1)
        if not active or step + 1 >= max_new:
            break
    return toks, cost
