"""The answer bank: real model answers with embeddings, loaded as an :class:`AnswerSource`.

``load_default_bank()`` reads the bank shipped in ``gaia_sim/data/bank/`` (built by
``gaia-sim bank build``, see :mod:`gaia_sim.answers.build`). :meth:`Bank.from_arrays` makes a bank
from in-memory arrays (used to turn real Gaia node answers into the same format), :meth:`Bank.save`
writes any bank in the on-disk format of :mod:`gaia_sim.answers.store`.

Draws: ``draw(config, question, n, rng)`` returns ``n`` answers of ``config`` to ``question``, sampled
*without* replacement while ``n`` does not exceed the stored answers and with replacement beyond (a
finite bank drawn with replacement would hand an honest node exact duplicates, which looks like replay).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from gaia_sim.answers.source import AnswerDraw, CostProfile
from gaia_sim.answers.store import FORMAT, Answers, atomic_write_json, read_answers, read_manifest, write_answers
from gaia_sim.errors import UserError

DEFAULT_BANK_DIR = Path(__file__).resolve().parents[1] / "data" / "bank"


@dataclass
class Bank:
    """All answers of several configurations to a question set; implements AnswerSource."""

    configs: list[str]
    questions: list[str]
    embeddings: np.ndarray  # (rows, dim) float32 unit rows
    config_index: np.ndarray  # (rows,) index into configs
    question_index: np.ndarray  # (rows,) index into questions
    texts: list[str]
    tokens: np.ndarray
    latency_s: np.ndarray
    roles: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)  # manifest (configs' hashes and specs, seed, build record)

    def __post_init__(self):
        self._cells = _cell_index(self.config_index, self.question_index, len(self.configs), len(self.questions))
        self._cpos = {c: i for i, c in enumerate(self.configs)}
        self._qpos = {q: i for i, q in enumerate(self.questions)}

    # --- AnswerSource -------------------------------------------------------------------------
    @property
    def config_ids(self) -> Sequence[str]:
        return tuple(self.configs)

    @property
    def question_ids(self) -> Sequence[str]:
        return tuple(self.questions)

    @property
    def dim(self) -> int:
        return int(self.embeddings.shape[1])

    def rows_of(self, config: str, question: str) -> np.ndarray:
        """Row indices of all stored answers of ``config`` to ``question``."""
        ci, qi = self._cpos.get(config), self._qpos.get(question)
        if ci is None:
            raise UserError(f"answer bank: unknown configuration {config!r}; allowed: {list(self.configs)}")
        if qi is None:
            raise UserError(f"answer bank: unknown question {question!r}; allowed: {list(self.questions)}")
        return self._cells[ci][qi]

    def pool(self, config: str, question: str) -> np.ndarray:
        """All row indices of ``config``'s answers to ``question`` (the pool draws come from)."""
        return self.rows_of(config, question)

    def draw_indices(self, config: str, question: str, n: int, rng: np.random.Generator) -> np.ndarray:
        rows = self.rows_of(config, question)
        if len(rows) == 0:
            raise UserError(f"answer bank: no answers of {config!r} to {question!r}")
        return rng.choice(rows, size=n, replace=n > len(rows))

    def draw(self, config: str, question: str, n: int, rng: np.random.Generator) -> AnswerDraw:
        idx = self.draw_indices(config, question, n, rng)
        return AnswerDraw(
            tuple(self.texts[i] for i in idx), self.embeddings[idx], self.tokens[idx], self.latency_s[idx]
        )

    def embedding_matrix(self) -> np.ndarray:
        return self.embeddings

    def cost(self, config: str) -> CostProfile:
        """Seconds and generated tokens per answer of ``config`` (a config id or a role).

        Seconds are the interleaved calibration of :mod:`gaia_sim.answers.calibrate` when the bank has
        one (comparable across configurations), else the mean latency recorded while building.
        """
        config = self.role_config(config) if config in self.roles and config not in self._cpos else config
        if config not in self._cpos:
            raise UserError(f"answer bank: unknown configuration {config!r}; allowed: {list(self.configs)}")
        rows = self.config_index == self._cpos[config]
        calibrated = self.meta.get("calibrated_cost", {}).get("seconds_per_answer", {})
        secs = calibrated.get(config, float(np.nanmean(self.latency_s[rows])) if rows.any() else float("nan"))
        return CostProfile(float(secs), float(self.tokens[rows].mean()))

    def answer_record(self, config: str) -> tuple[list[str], np.ndarray]:
        """(texts, generated tokens) of every stored answer of ``config``."""
        if config not in self._cpos:
            raise UserError(f"answer bank: unknown configuration {config!r}; allowed: {list(self.configs)}")
        rows = np.flatnonzero(self.config_index == self._cpos[config])
        return [self.texts[i] for i in rows], np.asarray(self.tokens[rows])

    # --- roles --------------------------------------------------------------------------------
    def role_config(self, role: str) -> str:
        """Config id playing ``role``; for the list role "honest_variants", the first of them."""
        if role not in self.roles:
            raise UserError(f"answer bank: unknown role {role!r}; allowed: {sorted(self.roles)}")
        value = self.roles[role]
        return value[0] if isinstance(value, list) else value

    def role_of(self) -> dict[str, str]:
        """Config id -> the role it plays (every honest variant maps to "honest_variants")."""
        return {c: r for r, v in self.roles.items() for c in (v if isinstance(v, list) else [v])}

    def answers(self, config: str, question: str) -> list[str]:
        return [self.texts[i] for i in self.rows_of(config, question)]

    # --- construction -------------------------------------------------------------------------
    @classmethod
    def from_arrays(
        cls,
        configs: Sequence[str],
        questions: Sequence[str],
        config_index,
        question_index,
        embeddings,
        texts: Sequence[str] | None = None,
        tokens=None,
        latency_s=None,
        roles: dict | None = None,
        meta: dict | None = None,
    ) -> "Bank":
        """A bank from in-memory rows: one row per answer, indices into ``configs`` / ``questions``.

        Embeddings are re-normalised to unit length; missing texts, tokens or latencies become
        "", 0 and NaN. ``roles`` maps protocol roles to config ids (see docs/answers.md).
        """
        emb = np.asarray(embeddings, dtype=np.float32)
        n = len(emb)
        ci, qi = np.asarray(config_index, dtype=np.int64), np.asarray(question_index, dtype=np.int64)
        if emb.ndim != 2 or len(ci) != n or len(qi) != n or (texts is not None and len(texts) != n):
            raise UserError("Bank.from_arrays: embeddings must be (rows, dim) and indices/texts have one entry per row")
        if n and (ci.min() < 0 or ci.max() >= len(configs) or qi.min() < 0 or qi.max() >= len(questions)):
            raise UserError("Bank.from_arrays: config_index / question_index out of range")
        norms = np.linalg.norm(emb, axis=1, keepdims=True)
        emb = emb / np.where(norms > 0, norms, 1)
        roles = dict(roles or {})
        for role, value in roles.items():
            for c in value if isinstance(value, list) else [value]:
                if c not in configs:
                    raise UserError(f"Bank.from_arrays: role {role!r} names unknown configuration {c!r}")
        return cls(
            list(configs),
            list(questions),
            emb,
            ci,
            qi,
            list(texts) if texts is not None else [""] * n,
            np.zeros(n, np.int64) if tokens is None else np.asarray(tokens, np.int64),
            np.full(n, np.nan) if latency_s is None else np.asarray(latency_s, np.float64),
            roles,
            dict(meta or {}),
        )

    def save(self, root: Path, config_hashes: dict[str, str] | None = None) -> Path:
        """Write this bank in the on-disk format (one answers file per configuration, manifest last)."""
        root = Path(root)
        hashes = dict(config_hashes or {})
        manifest = {
            "format": FORMAT,
            "root_seed": self.meta.get("root_seed"),
            "samples": self.meta.get("samples"),
            "questions": self.meta.get("questions") or [{"id": q, "text": "", "kb": ""} for q in self.questions],
            "configs": {},
            "roles": self.roles,
            "files": {},
            "build": self.meta.get("build", {}),
        }
        if "calibrated_cost" in self.meta:
            manifest["calibrated_cost"] = self.meta["calibrated_cost"]
        for ci, c in enumerate(self.configs):
            h = hashes.get(c) or self.meta.get("configs", {}).get(c, {}).get("hash") or _name_hash(c)
            rows = np.flatnonzero(self.config_index == ci)
            ans = Answers(
                list(self.questions),
                self.question_index[rows],
                _sample_numbers(self.question_index[rows]),
                self.tokens[rows],
                self.latency_s[rows],
                self.embeddings[rows],
                [self.texts[i] for i in rows],
            )
            spec = self.meta.get("configs", {}).get(c, {}).get("spec", {})
            sha = write_answers(root / "answers" / f"{h}.npz", ans, {"config_id": c, "hash": h, "spec": spec})
            manifest["configs"][c] = {
                "hash": h,
                "spec": spec,
                "description": self.meta.get("configs", {}).get(c, {}).get("description", ""),
            }
            manifest["files"][h] = {"sha256": sha, "rows": int(len(rows))}
        atomic_write_json(root / "manifest.json", manifest)
        return root

    @classmethod
    def load(cls, root: Path | str, check_hashes: bool = True) -> "Bank":
        """Read a bank folder; corrupted, missing or mismatched files raise UserError."""
        root = Path(root)
        manifest = read_manifest(root)
        qids = [q["id"] for q in manifest["questions"]]
        parts = []
        for ci, (cid, info) in enumerate(manifest["configs"].items()):
            h = info["hash"]
            fentry = manifest["files"].get(h)
            if fentry is None:
                raise UserError(
                    f"{root / 'manifest.json'}: configuration {cid!r} (hash {h}) has no answers file entry; "
                    "finish the build with `gaia-sim bank build`"
                )
            path = root / "answers" / f"{h}.npz"
            ans, meta = read_answers(path, fentry["sha256"] if check_hashes else None)
            if meta.get("hash") != h or meta.get("config_id") != cid:
                raise UserError(
                    f"{path}: belongs to configuration {meta.get('config_id')!r} (hash {meta.get('hash')}), "
                    f"but the manifest expects {cid!r} (hash {h})"
                )
            parts.append((ci, ans))
        return _assemble(manifest, qids, parts)


def _assemble(manifest: dict, qids: list[str], parts: list[tuple[int, Answers]]) -> Bank:
    qpos = {q: i for i, q in enumerate(qids)}
    ci = np.concatenate([np.full(len(a), c) for c, a in parts]) if parts else np.zeros(0, np.int64)
    qi = np.concatenate([[qpos.get(a.question_ids[j], -1) for j in a.question] for _, a in parts]) if parts else ci
    if (np.asarray(qi) < 0).any():
        raise UserError("answer bank: an answers file holds questions that are not in the manifest's question set")
    cat = lambda k: np.concatenate([getattr(a, k) for _, a in parts])  # noqa: E731
    return Bank.from_arrays(
        list(manifest["configs"]),
        qids,
        ci,
        qi,
        cat("embeddings"),
        [t for _, a in parts for t in a.texts],
        cat("tokens"),
        cat("latency_s"),
        manifest["roles"],
        manifest,
    )


def _cell_index(ci: np.ndarray, qi: np.ndarray, nc: int, nq: int) -> list[list[np.ndarray]]:
    order = np.lexsort((qi, ci))
    keys = ci[order] * nq + qi[order]
    bounds = np.searchsorted(keys, np.arange(nc * nq + 1))
    return [[order[bounds[c * nq + q] : bounds[c * nq + q + 1]] for q in range(nq)] for c in range(nc)]


def _sample_numbers(question_index: np.ndarray) -> np.ndarray:
    out = np.zeros(len(question_index), dtype=np.int64)
    for q in np.unique(question_index):
        rows = np.flatnonzero(question_index == q)
        out[rows] = np.arange(len(rows))
    return out


def _name_hash(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:24]


def load_bank(root: Path | str) -> Bank:
    return Bank.load(root)


def load_default_bank() -> Bank:
    """The bank shipped with the project (``gaia_sim/data/bank/``), verified on load."""
    return Bank.load(DEFAULT_BANK_DIR)
