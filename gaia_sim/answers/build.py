"""Build an answer bank: generate, embed and store answers, resumably.

For each configuration (content hash ``h``) the questions not yet answered are split into chunks;
each finished chunk is written atomically to ``partial/h/``. When all chunks of a configuration are
done they are merged into ``answers/h.npz`` and the manifest is rewritten (atomically). An interrupted
build therefore loses at most the chunk in progress, and a rerun skips everything finished.

Seeds: chunk ``k`` of configuration ``c`` samples with a ``torch.Generator`` seeded from
``SeedSequence([root_seed, c.seed, crc32(question ids of the chunk)])``.
"""

from __future__ import annotations

import os
import platform
import shutil
import time
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, replace
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
    assigned: frozenset[str] | None = None  # chunk keys ("<config hash>/<chunk name>") this process makes; None: all


def mine(plan: BuildPlan, h: str, chunk: list[Question]) -> bool:
    """Whether ``chunk`` of the configuration with hash ``h`` is this process's to generate."""
    return plan.assigned is None or chunk_key(h, chunk) in plan.assigned


def chunk_key(h: str, chunk: list[Question]) -> str:
    return f"{h}/{_chunk_name(chunk)}"


def in_shard(key: str, i: int, n: int) -> bool:
    """Whether chunk ``key`` is shard ``i`` of ``n``'s: a hash of the key, the same on every machine."""
    return zlib.crc32(key.encode()) % n == i


def _chunks_to_make(plan: BuildPlan, manifest: dict, mine_only: bool = True) -> list[tuple[str, list[Question]]]:
    """``(key, chunk)`` of the chunks still to generate, in build order (of this process only, with
    ``mine_only``)."""
    return [
        (chunk_key(h, c), c)
        for cfg, h, todo in _work(plan, manifest)
        for c in chunks_of(cfg, todo, plan.samples)
        if not mine_only or mine(plan, h, c)
    ]


def merge_chunks(plan: BuildPlan, sources: list[Path], log: Callable[[str], None] = print) -> int:
    """Copy the finished chunks of other bank folders (shards built elsewhere: ``partial/<hash>/``) into
    ``plan.root``; returns how many were copied. Only chunks of this plan's configurations (same
    content hash: model, KB, template, sampling and root seed) are taken; each is read and checked first
    (readable, its hash, ``plan.samples`` answers per question), and written under a temporary name
    then renamed, so an interrupted merge leaves no half file."""
    hashes = {c.content_hash(plan.root_seed) for c in plan.configs}
    copied = 0
    for src in sources:
        if not (Path(src) / "partial").is_dir():
            raise UserError(f"--merge-from {src}: no partial/ folder of a sharded build there")
        for path in sorted(Path(src).glob("partial/*/*.npz")):
            h = path.parent.name
            dest = plan.root / "partial" / h / path.name
            if h not in hashes or dest.exists():
                continue
            ans, meta = read_answers(path)  # a damaged chunk: UserError naming it
            questions = len(np.unique(ans.question))
            if meta.get("hash") != h or len(ans) != plan.samples * questions:
                raise UserError(
                    f"{path}: chunk of configuration hash {meta.get('hash')!r} with {len(ans)} answers to "
                    f"{questions} questions; expected hash {h} and {plan.samples} answers per question (--samples)"
                )
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_suffix(".part")
            shutil.copyfile(path, tmp)
            os.replace(tmp, dest)
            copied += 1
    log(f"merged {copied} chunks from {len(sources)} folders")
    return copied


def deal(keys: list[str], workers: int) -> list[frozenset[str]]:
    """``keys`` dealt to ``workers`` processes in turn, in build order (configuration by configuration):
    every process gets the same number of chunks to within one, overall and of each configuration, so
    they finish together (a hash of the chunk name split 12 questions 8 : 4)."""
    return [frozenset(keys[i::workers]) for i in range(workers)]


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
        "questions": [{"id": q.id, "text": q.text, "kb": q.kb, "pool": q.pool} for q in plan.questions],
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


def build(
    plan: BuildPlan,
    progress: bool = True,
    log: Callable[[str], None] = print,
    workers: int = 1,
    shard: tuple[int, int] | None = None,
) -> dict:
    """Generate every missing answer of ``plan``; returns the final manifest.

    With ``workers`` > 1 the missing chunks are first generated by that many processes (one torch
    thread each: on a small CPU, processes scale better than threads, whose every small operation
    waits for the slowest thread), then merged here. With ``shard = (i, n)`` (one of n machines) only
    the chunks whose stable key falls in shard i are generated, and left in ``partial/`` for
    :func:`merge_chunks` on the machine that finishes the bank.
    """
    plan.root.mkdir(parents=True, exist_ok=True)
    old = read_manifest(plan.root) if (plan.root / "manifest.json").exists() else None
    if old and (old["samples"] != plan.samples or old["root_seed"] != plan.root_seed):
        raise UserError(
            f"{plan.root / 'manifest.json'}: existing bank has samples={old['samples']}, "
            f"root_seed={old['root_seed']}; choose another --out folder to build with "
            f"samples={plan.samples}, seed={plan.root_seed}"
        )
    manifest = _manifest(plan, old)
    started = time.perf_counter()
    if shard is not None:
        keys = (k for k, _ in _chunks_to_make(plan, manifest, mine_only=False))
        plan = replace(plan, assigned=frozenset(k for k in keys if in_shard(k, *shard)))
    missing = _answers_to_make(plan, manifest)
    if workers > 1 and missing:
        _run_workers(plan, manifest, workers, missing, progress)
    work = _work(plan, manifest)
    bar = _progress(_answers_to_make(plan, manifest), progress)
    for cfg, h, todo in work:
        if shard is None:
            _build_config(plan, cfg, h, todo, manifest, bar, log)
        else:
            _generate_chunks(plan, cfg, h, todo, bar, log)
    bar.close()
    _record(manifest, time.perf_counter() - started, missing, workers)
    atomic_write_json(plan.root / "manifest.json", manifest)
    _remove_if_empty(plan.root / "partial")
    return manifest


def _answers_to_make(plan: BuildPlan, manifest: dict) -> int:
    """Answers this process still has to generate (its chunks only, when ``plan.assigned`` is set)."""
    return plan.samples * sum(len(c) for _, c in _chunks_to_make(plan, manifest))


def _run_workers(plan: BuildPlan, manifest: dict, workers: int, todo: int, progress: bool) -> None:
    """Run :func:`build_shard` in ``workers`` processes; a bar follows the chunks they write."""
    import multiprocessing as mp

    keys = [k for k, _ in _chunks_to_make(plan, manifest)]
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=build_shard, args=(replace(plan, assigned=share),)) for share in deal(keys, workers)]
    for p in procs:
        p.start()
    bar, seen = _progress(todo, progress), 0
    partial = plan.root / "partial"
    while True:
        alive = any(p.is_alive() for p in procs)
        now = sum(1 for _ in partial.glob("*/*.npz")) * plan.samples if partial.exists() else 0
        bar.update(max(0, now - seen))  # chunks of one question each (the fast engine's), else approximate
        seen = max(seen, now)
        if not alive:
            break
        time.sleep(2.0)
    bar.close()
    failed = [p.exitcode for p in procs if p.exitcode]
    if failed:
        raise UserError(f"bank build: {len(failed)} of {workers} worker processes failed (exit codes {failed})")


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


def _generate_chunks(plan: BuildPlan, cfg: ModelConfig, h: str, todo: list[Question], bar, log) -> None:
    """Generate and store (in ``partial/h/``) every chunk of ``todo`` that is this process's."""
    chunks = [c for c in chunks_of(cfg, todo, plan.samples) if mine(plan, h, c)]
    if not chunks:
        return
    model = None if cfg.lazy == "refusal" else load_engine(cfg, log)
    with _engine_threads(cfg):
        for chunk in chunks:
            ans = _answer_chunk(plan, cfg, model, chunk)
            name = plan.root / "partial" / h / f"{_chunk_name(chunk)}.npz"
            write_answers(name, ans, {"config_id": cfg.id, "hash": h})
            bar.update(len(ans))
            bar.add_tokens(int(ans.tokens.sum()))
    del model


@contextmanager
def _engine_threads(cfg: ModelConfig):
    """The fast engine generates on one torch thread, so its bytes do not depend on the thread count
    (scale out with worker processes instead)."""
    import torch

    before = torch.get_num_threads()
    if cfg.engine == "fast":
        torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def build_shard(plan: BuildPlan, threads: int = 1, log: Callable[[str], None] = print) -> None:
    """One worker of a split build: generate this shard's missing chunks; the merge is left to :func:`build`."""
    import torch

    torch.set_num_threads(threads)
    manifest = _manifest(plan, read_manifest(plan.root) if (plan.root / "manifest.json").exists() else None)
    for cfg, h, todo in _work(plan, manifest):
        _generate_chunks(plan, cfg, h, todo, _progress(0, False), log)


def _build_config(plan, cfg, h, todo, manifest, bar, log) -> None:
    if todo:
        _generate_chunks(plan, cfg, h, todo, bar, log)
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


def load_engine(cfg: ModelConfig, log=print):
    """(model, tokenizer) of ``cfg``; for the fast engine the model is a :class:`FastGemma` over its weights."""
    from gaia_sim.answers.models import load_model

    t0 = time.perf_counter()
    if cfg.engine == "llamacpp":
        return _load_llamacpp(cfg, log)
    model, tok = load_model(cfg)
    if cfg.engine == "fast":
        from gaia_sim.answers.fastgen import FastGemma

        model = FastGemma(model, cfg.dtype)
    log(f"loaded {cfg.id} ({cfg.engine}) in {time.perf_counter() - t0:.1f} s")
    return model, tok


def _load_llamacpp(cfg: ModelConfig, log):
    """(LlamaCppEngine over the shipped GGUF, tokenizer); a UserError if llama-cpp-python is missing."""
    from gaia_sim.answers import llamagen
    from gaia_sim.answers.models import gguf_file, load_tokenizer

    if llamagen.missing_reason():
        raise UserError(f"configuration {cfg.id}: {llamagen.missing_reason()}")
    t0 = time.perf_counter()
    gguf = gguf_file() if not cfg.gguf_type else llamagen.requantized_gguf(gguf_file(), cfg.gguf_type)
    engine = llamagen.LlamaCppEngine(gguf, max_rows=cfg.batch_size)
    log(f"loaded {cfg.id} ({cfg.engine}) in {time.perf_counter() - t0:.1f} s")
    return engine, load_tokenizer(cfg)


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
    if cfg.engine in ("fast", "llamacpp"):
        return _generate_fast(model, tok, prompts, per_prompt, cfg, gen)
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


def _generate_fast(engine, tok, prompts, per_prompt, cfg, gen) -> tuple[list[str], list[int], list[float]]:
    """The fast and llama.cpp engines: each prompt prefilled once, its samples decoded ``cfg.batch_size`` rows at a time."""
    from gaia_sim.answers.fastgen import generate_fast
    from gaia_sim.answers.llamagen import generate_llamacpp

    run = generate_llamacpp if cfg.engine == "llamacpp" else generate_fast
    texts, tokens, latency = [], [], []
    for p in prompts:
        for start in range(0, per_prompt, cfg.batch_size):
            rows = min(cfg.batch_size, per_prompt - start)
            toks, cost = run(engine, tok, p, rows, cfg, gen, cfg.max_new_tokens)
            texts += [tok.decode(t, skip_special_tokens=True).strip() for t in toks]
            tokens += [len(t) for t in toks]
            latency += cost.tolist()
    return texts, tokens, latency


def _record(manifest: dict, seconds: float, answers: int, workers: int = 1) -> None:
    build = manifest.setdefault("build", {})
    if answers:
        build["last_run"] = {
            "seconds": round(seconds, 1),
            "answers_generated": answers,
            "worker_processes": workers,
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
