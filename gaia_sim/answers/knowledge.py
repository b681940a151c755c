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


@dataclass(frozen=True)
class Question:
    """One question: stable id, text, and the KB that alone answers it ("" = general)."""

    id: str
    text: str
    kb: str = ""


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


def load_questions(path: Path = QUESTIONS_FILE) -> tuple[Question, ...]:
    """Read and validate the question set (TOML ``[[question]]`` tables with id, text, kb)."""
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise UserError(f"{path}: cannot read question set: {err}") from err
    items = raw.get("question")
    if not isinstance(items, list) or not items:
        raise UserError(f"{path}: key 'question' must be a non-empty array of tables [[question]]")
    questions = tuple(_question(path, i, item) for i, item in enumerate(items))
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise UserError(
            f"{path}: question ids must be unique; duplicated: {sorted({i for i in ids if ids.count(i) > 1})}"
        )
    return questions


def _question(path: Path, i: int, item: dict) -> Question:
    allowed = {"id", "text", "kb"}
    if not isinstance(item, dict) or set(item) - allowed or not {"id", "text"} <= set(item):
        raise UserError(f"{path}: question[{i}] must have keys id, text and optionally kb (allowed: {sorted(allowed)})")
    if not all(isinstance(item.get(k, ""), str) for k in allowed) or not item["id"] or not item["text"]:
        raise UserError(f"{path}: question[{i}]: id and text must be non-empty strings, kb a string")
    return Question(item["id"], item["text"], item.get("kb", ""))


def questions_digest(questions) -> str:
    """Hash of the question ids and texts: stored in the bank so a changed question set is detected."""
    h = hashlib.sha256()
    for q in questions:
        h.update(f"{q.id}\x1f{q.text}\x1e".encode())
    return h.hexdigest()
