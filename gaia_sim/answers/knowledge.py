"""Knowledge bases, retrieval and the question set of the answer bank.

A knowledge base (KB) is a Markdown file in ``gaia_sim/data/kb/``; it is split into passages (one per
paragraph, prefixed with its section heading). Retrieval is dense passage retrieval with the project's
embedder: the ``k`` passages with the highest cosine similarity to the question go into the prompt
(Lewis et al. 2020, "Retrieval-Augmented Generation"; Karpukhin et al. 2020, "Dense Passage
Retrieval"). This mirrors a Gaia node, which answers with an LLM plus a vector-searched KB
(arXiv 2504.13443, section 2).
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from gaia_sim.errors import UserError

KB_DIR = Path(__file__).resolve().parents[1] / "data" / "kb"
QUESTIONS_FILE = KB_DIR / "questions.toml"


POOLS = ("public", "secret")


@dataclass(frozen=True)
class Question:
    """One question: stable id, text, the KB that alone answers it ("" = general), its pool and a
    short reference answer.

    ``pool``: "public" (questions users ask too; nodes may learn them) or "secret" (the validators'
    probe pool). ``answer`` is for checks only (for a KB question it appears verbatim in the passage
    that answers it); it never reaches a prompt and is not part of ``questions_digest``.
    """

    id: str
    text: str
    kb: str = ""
    pool: str = "public"
    answer: str = ""


@dataclass(frozen=True)
class KnowledgeBase:
    name: str
    passages: tuple[str, ...]
    sha256: str  # of the file's bytes: part of every configuration hash that uses this KB


def kb_names(kb_dir: Path = KB_DIR) -> list[str]:
    return sorted(p.stem for p in kb_dir.glob("*.md"))


def split_passages(markdown: str) -> tuple[str, ...]:
    """Paragraphs of a Markdown text, each prefixed with its ``##`` section heading."""
    section, out = "", []
    for block in (b.strip() for b in markdown.split("\n\n")):
        if block.startswith("## "):
            section = block[3:].strip()
        elif block and not block.startswith("# "):
            out.append(f"{section}: {' '.join(block.split())}" if section else " ".join(block.split()))
    return tuple(out)


@lru_cache(maxsize=16)
def load_kb(name: str, kb_dir: Path = KB_DIR) -> KnowledgeBase:
    path = kb_dir / f"{name}.md"
    if not path.is_file():
        raise UserError(f"{path}: knowledge base {name!r} not found; allowed: {', '.join(kb_names(kb_dir))}")
    data = path.read_bytes()
    return KnowledgeBase(name, split_passages(data.decode("utf-8")), hashlib.sha256(data).hexdigest())


@lru_cache(maxsize=16)
def _passage_embeddings(name: str, kb_dir: Path = KB_DIR) -> np.ndarray:
    from gaia_sim.answers.embed import embed

    return embed(load_kb(name, kb_dir).passages)


def retrieve(name: str, question: str, k: int, kb_dir: Path = KB_DIR) -> list[str]:
    """Top-``k`` passages of KB ``name`` by cosine similarity to ``question``, best first."""
    from gaia_sim.answers.embed import embed

    scores = _passage_embeddings(name, kb_dir) @ embed([question])[0]
    order = np.argsort(-scores, kind="stable")[:k]
    return [load_kb(name, kb_dir).passages[i] for i in order]


_REQUIRED = ("id", "text", "kb", "pool")
_OPTIONAL = ("answer",)


def load_questions(path: Path = QUESTIONS_FILE, pool: str | None = None, kb_dir: Path = KB_DIR) -> tuple[Question, ...]:
    """Read and validate the question set: TOML ``[[question]]`` tables with id, text, kb, pool and
    optionally answer. ``pool`` = "public" or "secret" keeps only that pool (file order kept);
    None keeps all. ``kb`` must name a knowledge base in ``kb_dir`` (or be "" for general).
    Any defect raises UserError naming the file, the question and what is allowed."""
    if pool is not None and pool not in POOLS:
        raise UserError(f"{path}: unknown question pool {pool!r}; allowed: {', '.join(POOLS)}, or None for all")
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise UserError(f"{path}: cannot read question set: {err}") from err
    if set(raw) - {"question"}:
        raise UserError(f"{path}: unknown top-level keys {sorted(set(raw) - {'question'})}; allowed: question")
    items = raw.get("question")
    if not isinstance(items, list) or not items:
        raise UserError(f"{path}: key 'question' must be a non-empty array of tables [[question]]")
    kbs = set(kb_names(kb_dir))
    questions = tuple(_question(path, i, item, kbs) for i, item in enumerate(items))
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise UserError(
            f"{path}: question ids must be unique; duplicated: {sorted({i for i in ids if ids.count(i) > 1})}"
        )
    return questions if pool is None else tuple(q for q in questions if q.pool == pool)


def _question(path: Path, i: int, item, kbs: set[str]) -> Question:
    if not isinstance(item, dict):
        raise UserError(f"{path}: question[{i}] must be a table with keys {', '.join(_REQUIRED)} (optional: answer)")
    name = f"question[{i}]" + (f" (id {item['id']!r})" if isinstance(item.get("id"), str) else "")
    unknown, missing = set(item) - set(_REQUIRED + _OPTIONAL), [k for k in _REQUIRED if k not in item]
    if unknown or missing:
        what = f"unknown keys {sorted(unknown)}" if unknown else f"missing keys {missing}"
        raise UserError(f"{path}: {name}: {what}; allowed: {', '.join(_REQUIRED)} (required), answer (optional)")
    bad = [k for k in item if not isinstance(item[k], str)]
    if bad or not item["id"].strip() or not item["text"].strip():
        raise UserError(f"{path}: {name}: id and text must be non-empty strings; kb, pool and answer strings")
    if item["kb"] and item["kb"] not in kbs:
        raise UserError(f'{path}: {name}: unknown kb {item["kb"]!r}; allowed: "" (general) or {", ".join(sorted(kbs))}')
    if item["pool"] not in POOLS:
        raise UserError(f"{path}: {name}: unknown pool {item['pool']!r}; allowed: {', '.join(POOLS)}")
    return Question(item["id"], item["text"], item["kb"], item["pool"], item.get("answer", ""))


def question_pools(ids, path: Path = QUESTIONS_FILE) -> dict[str, str]:
    """Pool ("public" / "secret") of each question id in ``ids`` (e.g. an answer bank's question ids),
    looked up in the question file; an id the file lacks raises UserError."""
    pools = {q.id: q.pool for q in load_questions(path)}
    missing = [i for i in ids if i not in pools]
    if missing:
        raise UserError(
            f"{path}: no question with id(s) {missing[:5]}{' ...' if len(missing) > 5 else ''}; expected every id in use"
        )
    return {i: pools[i] for i in ids}


def questions_digest(questions) -> str:
    """Hash of the question ids and texts, in order: stored in the bank so a changed question set is
    detected. Pool, kb and reference answer are left out: they do not change what a model generates."""
    h = hashlib.sha256()
    for q in questions:
        h.update(f"{q.id}\x1f{q.text}\x1e".encode())
    return h.hexdigest()
