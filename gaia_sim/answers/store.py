"""On-disk format of the answer bank: atomic writes, checksums and validated reads.

A bank is a folder::

    manifest.json            format, root seed, samples, questions, configurations (id, hash, spec),
                             roles, sha256 of every answers file, build record
    answers/<hash>.npz       all answers of one configuration, addressed by its content hash
    partial/<hash>/<k>.npz   finished chunks of an interrupted build (merged, then removed)

An answers file holds the arrays ``question`` (index into its ``question_ids``), ``sample``, ``tokens``,
``latency_s``, ``embeddings`` (float16, unit rows), ``text_bytes`` + ``text_offsets`` (UTF-8) and
``meta`` (JSON: config id, hash, spec, question ids). Every reader error becomes a
:class:`~gaia_sim.errors.UserError` that names the file and what is wrong.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gaia_sim.atomic import atomic_write_bytes
from gaia_sim.errors import UserError

FORMAT = "gaia-sim-answer-bank/1"
ARRAYS = ("question", "sample", "tokens", "latency_s", "embeddings", "text_bytes", "text_offsets", "meta")


@dataclass
class Answers:
    """Rows of answers of one configuration (``question`` indexes ``question_ids``)."""

    question_ids: list[str]
    question: np.ndarray
    sample: np.ndarray
    tokens: np.ndarray
    latency_s: np.ndarray
    embeddings: np.ndarray
    texts: list[str]

    def __len__(self) -> int:
        return len(self.texts)


def atomic_write_json(path: Path, obj) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=1, sort_keys=True) + "\n").encode())


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def encode_answers(ans: Answers, meta: dict) -> bytes:
    """The .npz bytes of ``ans`` (embeddings stored as float16)."""
    raw = [t.encode("utf-8") for t in ans.texts]
    offsets = np.cumsum([0] + [len(r) for r in raw]).astype(np.int64)
    meta = dict(meta, question_ids=list(ans.question_ids))
    buf = io.BytesIO()
    np.savez_compressed(
        buf,
        question=ans.question.astype(np.int32),
        sample=ans.sample.astype(np.int32),
        tokens=ans.tokens.astype(np.int32),
        latency_s=ans.latency_s.astype(np.float32),
        embeddings=ans.embeddings.astype(np.float16),
        text_bytes=np.frombuffer(b"".join(raw), dtype=np.uint8),
        text_offsets=offsets,
        meta=np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8),
    )
    return buf.getvalue()


def write_answers(path: Path, ans: Answers, meta: dict) -> str:
    """Atomically write ``ans`` to ``path``; returns the file's sha256."""
    data = encode_answers(ans, meta)
    atomic_write_bytes(path, data)
    return hashlib.sha256(data).hexdigest()


def read_answers(path: Path, expect_sha256: str | None = None) -> tuple[Answers, dict]:
    """Read and validate an answers file; any defect raises UserError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: answers file missing (rebuild with `gaia-sim bank build`)")
    if expect_sha256 and sha256_file(path) != expect_sha256:
        raise UserError(
            f"{path}: sha256 does not match the manifest: file corrupted or replaced; "
            "rebuild it with `gaia-sim bank build` (finished configurations are kept)"
        )
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in ARRAYS if k not in z.files]
            if missing:
                raise UserError(f"{path}: not a bank answers file, arrays missing: {missing}")
            arr = {k: z[k] for k in ARRAYS}
        meta = json.loads(arr["meta"].tobytes().decode())
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError) as err:
        raise UserError(
            f"{path}: unreadable answers file ({type(err).__name__}: {err}); delete it and rebuild"
        ) from err
    return _answers_from(path, arr, meta), meta


def _answers_from(path: Path, arr: dict, meta: dict) -> Answers:
    n, off = len(arr["question"]), arr["text_offsets"]
    shapes_ok = (
        all(len(arr[k]) == n for k in ("sample", "tokens", "latency_s", "embeddings"))
        and len(off) == n + 1
        and off[-1] == len(arr["text_bytes"])
        and arr["embeddings"].ndim == 2
    )
    qids = meta.get("question_ids")
    if (
        not shapes_ok
        or not isinstance(qids, list)
        or (n and not 0 <= arr["question"].min() <= arr["question"].max() < len(qids))
    ):
        raise UserError(
            f"{path}: inconsistent arrays (row counts, text offsets or question indices); delete it and rebuild"
        )
    raw = arr["text_bytes"].tobytes()
    texts = [raw[off[i] : off[i + 1]].decode("utf-8") for i in range(n)]
    emb = arr["embeddings"].astype(np.float32)
    norms = np.linalg.norm(emb, axis=1, keepdims=True)
    if n and (not np.all(np.isfinite(emb)) or np.abs(norms - 1).max() > 1e-2):
        raise UserError(f"{path}: embeddings are not finite unit vectors; delete it and rebuild")
    emb = emb / np.where(norms > 0, norms, 1)
    return Answers(
        qids,
        arr["question"].astype(np.int64),
        arr["sample"].astype(np.int64),
        arr["tokens"].astype(np.int64),
        arr["latency_s"].astype(np.float64),
        emb,
        texts,
    )


def read_manifest(root: Path) -> dict:
    path = Path(root) / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise UserError(
            f"{path}: no answer bank here (missing manifest.json); build one with `gaia-sim bank build`"
        ) from err
    except (OSError, ValueError) as err:
        raise UserError(f"{path}: unreadable manifest ({err}); rebuild with `gaia-sim bank build`") from err
    need = ("format", "root_seed", "samples", "questions", "configs", "roles", "files")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or any(k not in manifest for k in need):
        raise UserError(f"{path}: not a {FORMAT} manifest (needs keys {list(need)})")
    return manifest


def concat_answers(parts: list[Answers], question_ids: list[str]) -> Answers:
    """Merge chunks into one Answers over ``question_ids``, sorted by (question, sample)."""
    pos = {q: i for i, q in enumerate(question_ids)}
    q = np.concatenate([np.array([pos.get(p.question_ids[i], -1) for i in p.question], dtype=np.int64) for p in parts])
    cat = {k: np.concatenate([getattr(p, k) for p in parts]) for k in ("sample", "tokens", "latency_s", "embeddings")}
    texts = [t for p in parts for t in p.texts]
    order = np.lexsort((cat["sample"], q))
    order = order[q[order] >= 0]  # answers to questions no longer in the set are dropped
    return Answers(
        list(question_ids),
        q[order],
        cat["sample"][order],
        cat["tokens"][order],
        cat["latency_s"][order],
        cat["embeddings"][order],
        [texts[i] for i in order],
    )
