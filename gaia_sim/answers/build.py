"""Build an answer bank: generate, embed and store answers, resumably.

For each configuration (content hash ``h``) the questions not yet answered are split into chunks;
each finished chunk is written atomically to ``partial/h/``. When all chunks of a configuration are
done they are merged into ``answers/h.npz`` and the manifest is rewritten (atomically). An interrupted
build therefore loses at most the chunk in progress, and a rerun skips everything finished.

Seeds: chunk ``k`` of configuration ``c`` samples with a ``torch.Generator`` seeded from
``SeedSequence([root_seed, c.seed, crc32(question ids of the chunk)])``.
"""

from __future__ import annotations

import platform
import shutil
import time
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np

from gaia_sim.answers.knowledge import Question, questions_digest
from gaia_sim.answers.models import REFUSAL_TEXT, ModelConfig
from gaia_sim.answers.store import (
    FORMAT,
    Answers,
    atomic_write_json,
    concat_answers,
    read_answers,
    read_manifest,
    write_answers,
)
from gaia_sim.errors import UserError


@dataclass(frozen=True)
class BuildPlan:
    root: Path
    configs: list[ModelConfig]
    roles: dict
    questions: tuple[Question, ...]
    samples: int
    root_seed: int


def chunks_of(cfg: ModelConfig, questions: list[Question], samples: int) -> list[list[Question]]:
    """Questions grouped so one chunk fills about one batch (at least one question per chunk)."""
    per = samples if cfg.lazy != "replay" else 1
    size = max(1, cfg.batch_size // per)
    return [questions[i : i + size] for i in range(0, len(questions), size)]


def chunk_seed(root_seed: int, cfg: ModelConfig, chunk: list[Question]) -> int:
    key = zlib.crc32("\x1f".join(q.id for q in chunk).encode())
    return int(np.random.SeedSequence([root_seed, cfg.seed, key]).generate_state(1)[0])


def _manifest(plan: BuildPlan, old: dict | None) -> dict:
    hashes = {c.id: c.content_hash(plan.root_seed) for c in plan.configs}
    return {
        "format": FORMAT,
        "root_seed": plan.root_seed,
        "samples": plan.samples,
        "questions": [{"id": q.id, "text": q.text, "kb": q.kb} for q in plan.questions],
        "questions_digest": questions_digest(plan.questions),
        "configs": {c.id: {"hash": hashes[c.id], "spec": c.spec(), "description": c.description} for c in plan.configs},
        "roles": plan.roles,
        "files": {h: f for h, f in (old or {}).get("files", {}).items() if h in hashes.values()},
        "build": (old or {}).get("build", {}),
        "embed_model": "sentence-transformers/all-MiniLM-L6-v2",
        "dim": 384,
        **_kept_calibration(old, hashes),
    }


def _kept_calibration(old: dict | None, hashes: dict[str, str]) -> dict:
    """The old manifest's calibrated costs of configurations that are unchanged (same id and hash)."""
    cal = (old or {}).get("calibrated_cost")
    if not cal:
        return {}
    same = {c for c, h in hashes.items() if (old or {}).get("configs", {}).get(c, {}).get("hash") == h}
    return {
        "calibrated_cost": dict(
            cal, seconds_per_answer={c: v for c, v in cal["seconds_per_answer"].items() if c in same}
        )
    }


def _done_questions(plan: BuildPlan, h: str, manifest: dict) -> tuple[list[Answers], set[str]]:
    """Answers already stored for hash ``h`` (final file and partial chunks) and their question ids."""
    parts, done = [], set()
    entry = manifest["files"].get(h)
    final = plan.root / "answers" / f"{h}.npz"
    if final.is_file():  # listed in the manifest, or written by a build that stopped before the manifest
        try:
            ans, meta = read_answers(final, entry["sha256"] if entry else None)
        except UserError:
            if entry:
                raise
            ans, meta = None, {}
        if ans is not None and meta.get("hash") == h and meta.get("samples") == plan.samples:
            parts.append(ans)
    for shard in sorted((plan.root / "partial" / h).glob("*.npz")):
        try:
            parts.append(read_answers(shard)[0])
        except UserError:
            shard.unlink()  # a damaged chunk is simply redone
    for p in parts:
        done |= {p.question_ids[i] for i in np.unique(p.question)}
    return parts, done


def build(plan: BuildPlan, progress: bool = True, log: Callable[[str], None] = print) -> dict:
    """Generate every missing answer of ``plan``; returns the final manifest."""
    plan.root.mkdir(parents=True, exist_ok=True)
    old = read_manifest(plan.root) if (plan.root / "manifest.json").exists() else None
    if old and (old["samples"] != plan.samples or old["root_seed"] != plan.root_seed):
        raise UserError(
            f"{plan.root / 'manifest.json'}: existing bank has samples={old['samples']}, "
            f"root_seed={old['root_seed']}; choose another --out folder to build with "
            f"samples={plan.samples}, seed={plan.root_seed}"
        )
    manifest = _manifest(plan, old)
    work = _work(plan, manifest)
    total = sum(len(qs) for _, _, qs in work) * plan.samples
    bar = _progress(total, progress)
    started = time.perf_counter()
    for cfg, h, todo in work:
        _build_config(plan, cfg, h, todo, manifest, bar, log)
    bar.close()
    _record(manifest, time.perf_counter() - started, total)
    atomic_write_json(plan.root / "manifest.json", manifest)
    _remove_if_empty(plan.root / "partial")
    return manifest


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass  # absent, or holds chunks of another configuration still being built


def _work(plan: BuildPlan, manifest: dict) -> list[tuple[ModelConfig, str, list[Question]]]:
    out = []
    for cfg in plan.configs:
        h = manifest["configs"][cfg.id]["hash"]
        _, done = _done_questions(plan, h, manifest)
        out.append((cfg, h, [q for q in plan.questions if q.id not in done]))
    return out


def _build_config(plan, cfg, h, todo, manifest, bar, log) -> None:
    if todo:
        model = None if cfg.lazy == "refusal" else _load(cfg, log)
        for chunk in chunks_of(cfg, todo, plan.samples):
            ans = _answer_chunk(plan, cfg, model, chunk)
            write_answers(
                plan.root / "partial" / h / f"{_chunk_name(chunk)}.npz", ans, {"config_id": cfg.id, "hash": h}
            )
            bar.update(len(ans))
            bar.add_tokens(int(ans.tokens.sum()))
        del model
    parts, done = _done_questions(plan, h, manifest)
    qids = [q.id for q in plan.questions]
    merged = concat_answers(parts, qids)
    keep = np.isin(np.arange(len(qids)), np.unique(merged.question))
    if not keep.all():
        raise UserError(f"bank build: configuration {cfg.id} is missing questions after generation")
    sha = write_answers(
        plan.root / "answers" / f"{h}.npz",
        merged,
        {"config_id": cfg.id, "hash": h, "spec": cfg.spec(), "samples": plan.samples},
    )
    manifest["files"][h] = {"sha256": sha, "rows": len(merged)}
    atomic_write_json(plan.root / "manifest.json", manifest)
    shutil.rmtree(plan.root / "partial" / h, ignore_errors=True)


def _chunk_name(chunk: list[Question]) -> str:
    return f"{zlib.crc32(chr(31).join(q.id for q in chunk).encode()):08x}"


def _load(cfg: ModelConfig, log):
    from gaia_sim.answers.models import load_model

    t0 = time.perf_counter()
    model = load_model(cfg)
    log(f"loaded {cfg.id} in {time.perf_counter() - t0:.1f} s")
    return model


def _answer_chunk(plan: BuildPlan, cfg: ModelConfig, model, chunk: list[Question]) -> Answers:
    """All ``plan.samples`` answers of ``cfg`` to the questions of ``chunk``, embedded."""
    from gaia_sim.answers.embed import embed

    texts, tokens, latency = _texts_of(plan, cfg, model, chunk)
    n = plan.samples
    q = np.repeat(np.arange(len(chunk)), n)
    return Answers(
        [x.id for x in chunk],
        q,
        np.tile(np.arange(n), len(chunk)),
        np.asarray(tokens),
        np.asarray(latency, dtype=float),
        embed(texts),
        texts,
    )


def _texts_of(plan, cfg, model, chunk) -> tuple[list[str], list[int], list[float]]:
    n = plan.samples
    if cfg.lazy == "refusal":
        t0 = time.perf_counter()
        texts = [REFUSAL_TEXT] * (n * len(chunk))
        per = (time.perf_counter() - t0) / len(texts)
        return texts, [0] * len(texts), [per] * len(texts)
    gen = _generate_rows(plan, cfg, model, chunk, 1 if cfg.lazy == "replay" else n)
    if cfg.lazy == "replay":  # one real answer per question, replayed n times; its cost spread over the replays
        rep = lambda xs: [x for x in xs for _ in range(n)]  # noqa: E731
        return rep(gen[0]), rep(gen[1]), [x / n for x in rep(gen[2])]
    return gen


def _generate_rows(plan, cfg, model_tok, chunk, per_prompt) -> tuple[list[str], list[int], list[float]]:
    """Generate ``per_prompt`` answers per question, ``cfg.batch_size`` rows per forward batch."""
    import torch

    from gaia_sim.answers.generate import build_prompt, generate

    model, tok = model_tok
    gen = torch.Generator().manual_seed(chunk_seed(plan.root_seed, cfg, chunk))
    texts, tokens, latency = [], [], []
    prompts = [build_prompt(cfg, q.text) for q in chunk]
    rows_per_q = per_prompt
    step = max(1, min(rows_per_q, cfg.batch_size))
    if len(chunk) * rows_per_q <= cfg.batch_size:
        out = generate(model, tok, prompts, rows_per_q, cfg, gen)
        return out.texts, out.tokens.tolist(), out.latency_s.tolist()
    for p in prompts:  # a question needs several batches: split its samples
        for start in range(0, rows_per_q, step):
            out = generate(model, tok, [p], min(step, rows_per_q - start), cfg, gen)
            texts += out.texts
            tokens += out.tokens.tolist()
            latency += out.latency_s.tolist()
    return texts, tokens, latency


def _record(manifest: dict, seconds: float, answers: int) -> None:
    build = manifest.setdefault("build", {})
    if answers:
        build["last_run"] = {
            "seconds": round(seconds, 1),
            "answers_generated": answers,
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        }
        build["total_seconds"] = round(build.get("total_seconds", 0.0) + seconds, 1)


class _progress:
    """tqdm over answers, showing answers/s and tokens/s."""

    def __init__(self, total: int, enabled: bool):
        from tqdm import tqdm

        self.bar = tqdm(total=total, unit="ans", disable=not enabled or total == 0, dynamic_ncols=True)
        self.tokens, self.t0 = 0, time.perf_counter()

    def update(self, n: int) -> None:
        self.bar.update(n)

    def add_tokens(self, n: int) -> None:
        self.tokens += n
        self.bar.set_postfix_str(f"{self.tokens / max(time.perf_counter() - self.t0, 1e-9):.1f} tok/s")

    def close(self) -> None:
        self.bar.close()
