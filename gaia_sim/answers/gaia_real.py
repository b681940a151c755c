"""Real answers of real Gaia nodes (data of the paper "Trust, but verify", arXiv 2504.13443).

Reads ``../shared/data/gaia-verifiable-inference/`` (next to the repository; override with the
environment variable ``GAIA_DATA_DIR``): for each run (2025-03-19: 5 repeats, 2025-03-26: 25
repeats) the answers of three nodes (Llama-3.1-8B, Gemma-2-9B, Gemma-2-27B) to 20 questions. The
data are never copied into the repository. Every ``*.jsonl`` file of that folder in the same
format is a run too (:func:`run_files`), so other runs of the same models, e.g. a network's own,
can be loaded beside or instead of the shipped two (``load_real(runs=...)``, ``gaia-sim evaluate
--real-runs``). Texts are embedded with all-MiniLM-L6-v2
(:func:`gaia_sim.embed`) and cached under ``.cache/gaia_real/`` keyed by the SHA-256 of the file.

:class:`GaiaRealSource` serves these answers through the :class:`AnswerSource` interface, with
configurations ``"<node>@<run date>"`` (e.g. ``"gemma-2-27b@2025-03-26"``) and pooled ones
``"<node>"`` (both runs).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from gaia_sim.answers.source import AnswerDraw, CostProfile
from gaia_sim.atomic import atomic_write
from gaia_sim.errors import UserError

ENV_VAR = "GAIA_DATA_DIR"
RUN_FILES = {"2025-03-19": "three_models_2025-03-19.jsonl", "2025-03-26": "three_models_2025-03-26.jsonl"}
DEFAULT_RUNS = tuple(RUN_FILES)  # the shipped runs, what every loader reads unless told otherwise
RUN_PREFIX = "three_models_"  # stripped from a run file's stem to name the run
NOMIC_FILE = "three_models_2025-03-19.nomic-embed-768.npy"
NODES = ("llama-3-1-8b", "gemma-2-9b", "gemma-2-27b")
#: billions of parameters, for the cost model (see GaiaRealSource.cost)
PARAMS_B = {"llama-3-1-8b": 8.0, "gemma-2-9b": 9.2, "gemma-2-27b": 27.2}
_KEYS = ("run", "node", "question_id", "question", "repeat", "response")


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    """The data folder: ``$GAIA_DATA_DIR`` or ``<repo>/../shared/data/gaia-verifiable-inference``."""
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else repo_root().parent / "shared/data/gaia-verifiable-inference"


def missing_reason(root: Path | None = None) -> str | None:
    """Why the real data cannot be used (for pytest skips), or None when it is all there."""
    root = Path(root) if root else data_dir()
    absent = [f for f in (*RUN_FILES.values(), NOMIC_FILE) if not (root / f).is_file()]
    if absent:
        return f"real Gaia data not found: {root} lacks {', '.join(absent)} (set {ENV_VAR} to the folder)"
    return None


def run_files(root: Path | None = None) -> dict[str, str]:
    """Every run in the data folder, run name -> file name: each ``*.jsonl`` file, named by its stem
    without the ``three_models_`` prefix (the shipped runs are "2025-03-19" and "2025-03-26")."""
    root = Path(root) if root else data_dir()
    if not root.is_dir():
        return {}
    return {p.stem.removeprefix(RUN_PREFIX): p.name for p in sorted(root.glob("*.jsonl"))}


@dataclass(frozen=True)
class GaiaRun:
    """One run: ``texts[node, question, repeat]`` (object array of str), in file order."""

    run: str
    nodes: tuple[str, ...]
    question_ids: tuple[str, ...]
    questions: tuple[str, ...]
    texts: np.ndarray
    line_index: np.ndarray  # (nodes, questions, repeats) -> line number in the jsonl
    sha256: str


def _read_lines(path: Path) -> list[dict]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(f"{path}: line {n}: not valid JSON ({exc.msg})") from None
        missing = [k for k in _KEYS if k not in row]
        if missing:
            raise UserError(f"{path}: line {n}: missing keys {missing}; each line needs {list(_KEYS)}")
        rows.append(row)
    return rows


def load_run(date: str, root: Path | None = None) -> GaiaRun:
    """Parse one run's jsonl (any run of :func:`run_files`) into a (node, question, repeat) grid;
    every cell must be present once."""
    root = Path(root) if root else data_dir()
    files = run_files(root)
    if date not in files:
        if date in RUN_FILES:
            raise UserError(missing_reason(root) or f"real Gaia data not found: {root} lacks {RUN_FILES[date]}")
        raise UserError(
            f"run {date!r}: no such run in {root}; runs there: {sorted(files) or 'none'} (a run is a *.jsonl "
            f"file named by its stem without {RUN_PREFIX!r}; set {ENV_VAR} to use another folder)"
        )
    path = root / files[date]
    rows = _read_lines(path)
    qids = sorted({r["question_id"] for r in rows}, key=lambda q: int(q.lstrip("Q")))
    reps = sorted({int(r["repeat"]) for r in rows})
    nodes = tuple(n for n in NODES if any(r["node"] == n for r in rows))
    texts = np.full((len(nodes), len(qids), len(reps)), None, dtype=object)
    line_index = np.full(texts.shape, -1, dtype=int)
    questions = {}
    for i, r in enumerate(rows):
        if r["node"] not in nodes:
            raise UserError(f"{path}: line {i + 1}: key 'node' = {r['node']!r}; allowed {list(NODES)}")
        cell = (nodes.index(r["node"]), qids.index(r["question_id"]), reps.index(int(r["repeat"])))
        if texts[cell] is not None:
            raise UserError(
                f"{path}: line {i + 1}: duplicate answer for {r['node']} {r['question_id']} repeat {r['repeat']}"
            )
        texts[cell], line_index[cell] = str(r["response"]), i
        questions[r["question_id"]] = r["question"]
    if (line_index < 0).any():
        raise UserError(f"{path}: incomplete grid: {(line_index < 0).sum()} (node, question, repeat) answers missing")
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    return GaiaRun(date, nodes, tuple(qids), tuple(questions[q] for q in qids), texts, line_index, sha)


def nomic_embeddings(run: GaiaRun, root: Path | None = None) -> np.ndarray:
    """The shipped nomic-embed-text embeddings of the 2025-03-19 run as (node, question, repeat, 768)."""
    if run.run != "2025-03-19":
        raise UserError(f"gaia_real.nomic_embeddings: only run 2025-03-19 ships embeddings, not {run.run}")
    path = (Path(root) if root else data_dir()) / NOMIC_FILE
    flat = np.load(path)
    if flat.shape[0] != run.line_index.size:
        raise UserError(f"{path}: {flat.shape[0]} rows, but {run.line_index.size} answers in the run")
    return flat[run.line_index]


def _atomic_save(path: Path, array: np.ndarray) -> None:
    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            np.save(fh, array)

    atomic_write(path, write)


def minilm_embeddings(
    run: GaiaRun, cache_dir: Path | None = None, embedder: Callable[[Sequence[str]], np.ndarray] | None = None
) -> np.ndarray:
    """MiniLM embeddings (node, question, repeat, 384), cached by the run file's SHA-256 (not its name)
    and by what computed them: the embedding backend (``$GAIA_SIM_EMBED``, :mod:`gaia_sim.answers.embed`)
    or the ``embedder``'s name. The backends agree to ~2e-7 per coordinate, yet a verdict on the real
    runs can move with that (identical answers tie within the detector's tolerance, near-identical
    ones need not), so a cache written by one backend is never read for another."""
    if embedder is None:
        from gaia_sim.answers.embed import default_backend, embed

        label = default_backend()
        embedder = partial(embed, backend=label)
    else:
        label = getattr(embedder, "__name__", "custom")
    cache = Path(cache_dir) if cache_dir else repo_root() / ".cache" / "gaia_real"
    path = cache / f"minilm384-{label}-{run.sha256[:16]}.npy"  # by content: a run under another name reuses it
    if path.is_file():
        try:
            arr = np.load(path)
            if arr.shape == (*run.texts.shape, 384):
                return arr
        except (ValueError, OSError):
            pass  # corrupt cache: recompute below
    arr = embedder(list(run.texts.ravel())).reshape(*run.texts.shape, -1).astype(np.float32)
    _atomic_save(path, arr)
    return arr


@dataclass(frozen=True)
class GaiaRealData:
    """Runs with MiniLM embeddings: ``runs[name]`` and ``embeddings[name]`` (node, q, repeat, 384),
    in the order they were loaded."""

    runs: dict
    embeddings: dict

    @property
    def nodes(self) -> tuple[str, ...]:
        return next(iter(self.runs.values())).nodes

    @property
    def question_ids(self) -> tuple[str, ...]:
        return next(iter(self.runs.values())).question_ids


def load_real(
    root: Path | None = None, cache_dir: Path | None = None, runs: Sequence[str] = DEFAULT_RUNS
) -> GaiaRealData:
    """Load ``runs`` (default: the shipped two) and their (cached) MiniLM embeddings; UserError when
    a run is absent or the runs disagree on nodes or questions."""
    runs = tuple(runs)
    if not runs or len(set(runs)) != len(runs):
        raise UserError(f"real runs: need one or more distinct runs, got {list(runs)}")
    loaded = {d: load_run(d, root) for d in runs}
    first = loaded[runs[0]]
    for r in loaded.values():
        if r.nodes != first.nodes or r.question_ids != first.question_ids:
            raise UserError(
                f"real runs: {r.run!r} and {first.run!r} disagree on nodes ({list(r.nodes)} vs {list(first.nodes)}) "
                f"or questions ({len(r.question_ids)} vs {len(first.question_ids)}); runs compared must ask the "
                "same questions of the same models"
            )
    return GaiaRealData(loaded, {d: minilm_embeddings(r, cache_dir) for d, r in loaded.items()})


class GaiaRealSource:
    """AnswerSource over the real Gaia answers (see the module docstring for config ids).

    ``roles`` follow the bank's roles for a claimed model (default Gemma-2-27B): honest variation
    = the claimed model's other runs; "cheaper_model" = the other Gemma; "other_model" = Llama.
    Costs are modelled, not measured (the data carry no timings): see :meth:`cost`.
    """

    def __init__(self, data: GaiaRealData, claimed: str = "gemma-2-27b", claimed_run: str = "2025-03-26"):
        if claimed not in data.nodes:
            raise UserError(f"GaiaRealSource(claimed={claimed!r}): allowed {list(data.nodes)}")
        if claimed_run not in data.runs or len(data.runs) < 2:
            raise UserError(
                f"GaiaRealSource(claimed_run={claimed_run!r}): needs that run and another (honest variation); "
                f"loaded {list(data.runs)}"
            )
        self._data = data
        self._configs, blocks, self._texts, self._rows = [], [], [], {}
        offset = 0
        for node_i, node in enumerate(data.nodes):
            for date in data.runs:
                emb = data.embeddings[date][node_i]  # (Q, R, D)
                self._add(f"{node}@{date}", emb, data.runs[date].texts[node_i], offset)
                blocks.append(emb.reshape(-1, emb.shape[-1]))
                offset += emb.shape[0] * emb.shape[1]
            self._configs.append(node)
            self._rows[node] = [
                np.concatenate([self._rows[f"{node}@{d}"][q] for d in data.runs]) for q in range(len(data.question_ids))
            ]
        self._matrix = np.concatenate(blocks).astype(np.float32)
        self._all_texts = np.concatenate([t.ravel() for t in self._texts])
        other = [n for n in data.nodes if n != claimed]
        cheaper = [n for n in other if n.startswith(claimed.split("-")[0])] or other
        self.roles = {
            "claimed": f"{claimed}@{claimed_run}",
            "honest_variants": [f"{claimed}@{d}" for d in data.runs if d != claimed_run],
            "cheaper_model": f"{cheaper[0]}@{claimed_run}",
            "other_model": f"{[n for n in other if n != cheaper[0]][0]}@{claimed_run}",
        }

    def _add(self, cid: str, emb: np.ndarray, texts: np.ndarray, offset: int) -> None:
        q, r = emb.shape[:2]
        self._configs.append(cid)
        self._rows[cid] = [offset + qi * r + np.arange(r) for qi in range(q)]
        self._texts.append(texts)

    def role_config(self, role: str) -> str:
        c = self.roles[role]
        return c if isinstance(c, str) else c[0]

    @property
    def config_ids(self) -> Sequence[str]:
        return tuple(self._configs)

    @property
    def question_ids(self) -> Sequence[str]:
        return self._data.question_ids

    @property
    def dim(self) -> int:
        return self._matrix.shape[1]

    def rows(self, config: str, question: str) -> np.ndarray:
        """All row indices of ``config``'s answers to ``question``."""
        if config not in self._rows:
            raise UserError(f"GaiaRealSource: config {config!r} unknown; allowed {list(self._configs)}")
        if question not in self.question_ids:
            raise UserError(f"GaiaRealSource: question {question!r} unknown; allowed {list(self.question_ids)}")
        return self._rows[config][self.question_ids.index(question)]

    def draw_indices(self, config: str, question: str, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.choice(self.rows(config, question), size=n, replace=True)

    def embedding_matrix(self) -> np.ndarray:
        return self._matrix

    def draw(self, config: str, question: str, n: int, rng: np.random.Generator) -> AnswerDraw:
        idx = self.draw_indices(config, question, n, rng)
        texts = tuple(str(t) for t in self._all_texts[idx])
        tokens = np.array([_tokens(t) for t in texts], dtype=int)
        per_token = self._seconds_per_token(config)
        return AnswerDraw(texts, self._matrix[idx], tokens, tokens * per_token)

    def _seconds_per_token(self, config: str) -> float:
        """Decode at batch 1 is memory-bound: bf16 weight bytes per token / 1 TB/s (modelled)."""
        return 2.0 * PARAMS_B[config.split("@")[0]] * 1e9 / 1e12

    def answer_record(self, config: str) -> tuple[list[str], np.ndarray]:
        """(texts, tokens ~ 4/3 per word) of every answer of ``config``."""
        rows = np.concatenate([self.rows(config, q) for q in self.question_ids])
        texts = [str(t) for t in self._all_texts[rows]]
        return texts, np.array([_tokens(t) for t in texts], dtype=int)

    def cost(self, config: str) -> CostProfile:
        """Modelled cost (the data have no timings): tokens ~ 4/3 per word, seconds = tokens x
        bf16 weight bytes / 1 TB/s."""
        rows = np.concatenate([self.rows(config, q) for q in self.question_ids])
        tokens = float(np.mean([_tokens(t) for t in self._all_texts[rows]]))
        return CostProfile(seconds_per_answer=tokens * self._seconds_per_token(config), tokens_per_answer=tokens)


def _tokens(text: str) -> int:
    return max(1, round(len(text.split()) * 4 / 3))


def to_bank(data: GaiaRealData, claimed: str = "gemma-2-27b", claimed_run: str = "2025-03-26"):
    """The real answers as an answer :class:`~gaia_sim.answers.bank.Bank` (same format as the
    shipped bank), so every detector and simulation can run on them.

    Configurations ``"<node>@<run>"``; roles as in :class:`GaiaRealSource` ("claimed", "honest_variants"
    = the claimed model's other run, "cheaper_model" = the other Gemma, "other_model" = the third
    model). Tokens and latencies are modelled (see :meth:`GaiaRealSource.cost`), not measured.
    """
    from gaia_sim.answers.bank import Bank

    src = GaiaRealSource(data, claimed=claimed, claimed_run=claimed_run)
    configs = [c for c in src.config_ids if "@" in c]
    rows = [
        (ci, qi, r) for ci, c in enumerate(configs) for qi, q in enumerate(src.question_ids) for r in src.rows(c, q)
    ]
    ci, qi, idx = (np.array(v) for v in zip(*rows))
    texts = [str(t) for t in src._all_texts[idx]]
    tokens = np.array([_tokens(t) for t in texts])
    latency = tokens * np.array([src._seconds_per_token(configs[c]) for c in ci])
    meta = {
        "source": "gaia-verifiable-inference",
        "sha256": {d: r.sha256 for d, r in data.runs.items()},
        "embedder": "all-MiniLM-L6-v2",
        "costs": "modelled: tokens ~ 4/3 words, bf16 weight bytes / 1 TB/s",
    }
    return Bank.from_arrays(
        configs,
        list(src.question_ids),
        ci,
        qi,
        src.embedding_matrix()[idx],
        texts=texts,
        tokens=tokens,
        latency_s=latency,
        roles=src.roles,
        meta=meta,
    )
