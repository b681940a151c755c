"""Benchmark of the answers area: generation speed vs machine limits, embedding speed, variant distances.

Usage::

    .venv/bin/python benchmarks/bench_answers.py [--bank DIR] [--steps 12] [--skip-generation] [--json out.json]
    .venv/bin/python benchmarks/bench_answers.py --workers 2 [--questions 4]

0. Sampled answers per engine (transformers reference vs the fast engine), one thread, side by side.
   With ``--workers N``: the fast engine (bf16) in N processes at once, one torch thread each, as
   ``gaia-sim bank build --workers N`` runs it; generated tokens of all processes over the wall time
   from a common start (after every model has loaded) to the last one's end.
1. Generation tokens/s of Gemma 3 270M (bfloat16 and float32) at batch 1, 8 and 32 (decode steps
   after a shared prefill), next to the machine's limits: at batch 1 every decode step reads all weights
   once, so tokens/s <= memory bandwidth / weight bytes; and every token costs ~2 FLOPs per weight used
   (all parameters incl. the 262k-token LM head; Kaplan et al. 2020), so tokens/s <= matmul FLOP/s /
   (2 * params). Bandwidth is measured with a large array copy, matmul throughput with a 2048^3 GEMM.
2. Embeddings per second of all-MiniLM-L6-v2 on 1024 distinct real answers of the bank, each backend
   (``gaia_sim.answers.embed.BACKENDS``: the onnx fast path and the sentence-transformers reference)
   side by side in interleaved runs.
3. Per configuration of the bank: distance of its mean answer embedding from the claimed configuration's,
   per question, averaged, next to what honest sampling noise alone gives: two means of n answers of
   the same configuration differ by about sqrt(2/n) x the RMS spread of single answers around their
   question mean (the honest variants measure it directly), with sample answers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np


def measure_bandwidth(mb: int = 512, repeats: int = 5) -> float:
    """Bytes/s of a large array copy (read + write counted)."""
    a = np.ones(mb * 2**20 // 8)
    b = np.empty_like(a)
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        np.copyto(b, a)
        best = min(best, time.perf_counter() - t0)
    return 2 * a.nbytes / best


def measure_matmul(dtype: str = "float32", n: int = 2048, repeats: int = 3) -> float:
    """FLOP/s of an n x n x n torch matmul (2 n^3 FLOPs)."""
    import torch

    a = torch.randn(n, n, dtype=getattr(torch, dtype))
    b = torch.randn(n, n, dtype=getattr(torch, dtype))
    a @ b
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best


def decode_speed(model, tok, batch: int, steps: int) -> tuple[float, float]:
    """Generated tokens per wall second and per CPU second per thread (load-insensitive), ``steps`` decode
    steps at ``batch`` rows after one shared prefill."""
    import torch

    with torch.inference_mode():
        enc = tok(["Question: Why is the sky blue?\nAnswer:"], return_tensors="pt")
        out = model(**enc, use_cache=True, logits_to_keep=1)
        cache = out.past_key_values
        cache.batch_repeat_interleave(batch)
        mask = enc.attention_mask.repeat_interleave(batch, 0)
        pos = torch.full((batch, 1), enc.input_ids.shape[1] - 1)
        nxt = out.logits[:, -1].argmax(-1).repeat_interleave(batch)[:, None]
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(steps):
            mask = torch.cat([mask, mask.new_ones(batch, 1)], 1)
            pos = pos + 1
            logits = model(input_ids=nxt, attention_mask=mask, position_ids=pos, cache=cache, use_cache=True).logits
            nxt = logits[:, -1].argmax(-1)[:, None]
        wall, cpu = time.perf_counter() - t0, (time.process_time() - c0) / torch.get_num_threads()
        return batch * steps / wall, batch * steps / cpu


def parameter_count(model) -> int:
    """Parameters of ``model``, tied weights (the LM head is the embedding) counted once."""
    return sum(p.numel() for p in {p.data_ptr(): p for p in model.parameters()}.values())


def bench_generation(steps: int) -> list[dict]:
    import torch

    from gaia_sim.answers.models import converted_dir, load_pretrained, weight_bytes

    bw = measure_bandwidth()
    rows = []
    for dtype in ("bfloat16", "float32"):
        model, tok = load_pretrained(str(converted_dir()), dtype)
        wbytes, params = weight_bytes(model), parameter_count(model)
        flops = measure_matmul(dtype)
        for batch in (1, 8, 32):
            tps, cpu_tps = decode_speed(model, tok, batch, steps)
            rows.append(
                {
                    "dtype": dtype,
                    "batch": batch,
                    "tokens_per_s": tps,
                    "tokens_per_cpu_s": cpu_tps,
                    "weight_bytes": wbytes,
                    "params": params,
                    "bandwidth_Bps": bw,
                    "bandwidth_bound_tps": bw / wbytes * batch,
                    "matmul_flops": flops,
                    "compute_bound_tps": flops / (2 * params),
                }
            )
        del model
        torch.set_num_threads(torch.get_num_threads())
    return rows


def bench_engines(rows: int = 64, questions: int = 2, max_new: int = 48) -> list[dict]:
    """Sampled answers as the bank builds them (``rows`` per question, temperature/top-k/top-p, stop at
    the end of the answer), side by side in one process on one torch thread: the transformers
    reference path (bf16 and fp32 models) and the fast engine (bf16 and fp32 matrix products).
    ``tok/cpu-s`` is load-insensitive; one worker process per core multiplies it by the cores."""
    import torch

    from gaia_sim.answers.fastgen import FastGemma, generate_fast
    from gaia_sim.answers.generate import build_prompt, generate
    from gaia_sim.answers.knowledge import load_questions
    from gaia_sim.answers.models import ModelConfig, converted_dir, load_pretrained

    torch.set_num_threads(1)
    cfg = ModelConfig("bench", max_new_tokens=max_new)
    qs = [q for q in load_questions() if q.kb == "vellmar"][:questions]
    prompts = [build_prompt(cfg, q.text) for q in qs]
    out = []
    for engine, dtype in (
        ("transformers", "bfloat16"),
        ("transformers", "float32"),
        ("fast", "bfloat16"),
        ("fast", "float32"),
    ):
        model, tok = load_pretrained(str(converted_dir()), "float32" if engine == "fast" else dtype)
        fast = FastGemma(model, dtype) if engine == "fast" else None
        gen = torch.Generator().manual_seed(0)
        t0, c0, tokens = time.perf_counter(), time.process_time(), 0
        for p in prompts:
            if fast is not None:
                toks, _ = generate_fast(fast, tok, p, rows, cfg, gen, max_new)
                tokens += sum(len(t) for t in toks)
            else:
                tokens += int(generate(model, tok, [p], rows, cfg, gen, max_new).tokens.sum())
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        out.append(
            {
                "engine": engine,
                "dtype": dtype,
                "rows": rows,
                "tokens": tokens,
                "tokens_per_s": tokens / wall,
                "tokens_per_cpu_s": tokens / cpu,
            }
        )
        print(
            f"  {engine:12s} {dtype:9s} {tokens:6d} tokens  {tokens / wall:7.1f} tok/s  {tokens / cpu:7.1f} tok/cpu-s",
            flush=True,
        )
        del model, fast
    return out


def real_answer_texts(bank, n: int = 1024, seed: int = 0) -> list[str]:
    """``n`` distinct answers of the bank, drawn at random (repeated answers would flatter a cache)."""
    texts = sorted(set(bank.texts))
    return [texts[i] for i in np.random.default_rng(seed).choice(len(texts), min(n, len(texts)), replace=False)]


def gaia_answer_texts(n: int = 256, seed: int = 0) -> list[str]:
    """``n`` answers of real Gaia nodes (8-27B models; much longer than the bank's), or [] without the data."""
    from gaia_sim.answers import gaia_real

    if gaia_real.missing_reason():
        return []
    texts = gaia_real.load_run("2025-03-26").texts.ravel().tolist()
    return [texts[i] for i in np.random.default_rng(seed).choice(len(texts), n, replace=False)]


def bench_embeddings(texts: list[str], repeats: int = 3) -> dict[str, dict[str, float]]:
    """Answers/s (wall) and answers per CPU-second of each embedding backend, best of interleaved runs.

    The backends run one after the other in every repeat, so a change in the machine's load hits
    both; the CPU-second rate is the less load-dependent of the two.
    """
    from gaia_sim.answers.embed import BACKENDS, embed

    rates: dict[str, dict[str, float]] = {b: {"per_s": 0.0, "per_cpu_s": 0.0} for b in BACKENDS}
    for b in BACKENDS:
        embed(texts[:32], backend=b)  # load the model / build the ONNX graph outside the timing
    for _ in range(repeats):
        for b in BACKENDS:
            t0, c0 = time.perf_counter(), time.process_time()
            embed(texts, backend=b)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            rates[b]["per_s"] = max(rates[b]["per_s"], len(texts) / wall)
            rates[b]["per_cpu_s"] = max(rates[b]["per_cpu_s"], len(texts) / cpu)
    return rates


def _print_embeddings(rates: dict[str, dict[str, float]], label: str) -> None:
    print(f"\nembeddings of {label} (all-MiniLM-L6-v2), load average {os.getloadavg()}:")
    for b, r in rates.items():
        print(f"  {b:10s} {r['per_s']:7.0f} answers/s  {r['per_cpu_s']:7.0f} answers/CPU-s")


def samples(bank, question: str, k: int = 1) -> dict[str, list[str]]:
    return {c: bank.answers(c, question)[:k] for c in bank.configs}


def main(argv=None) -> int:
    import torch

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bank", type=Path, default=None)
    ap.add_argument("--steps", type=int, default=12)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--skip-generation", action="store_true")
    ap.add_argument("--embeddings-only", action="store_true", help="only the embedding backends, side by side")
    ap.add_argument("--engines-only", action="store_true", help="only the engine comparison (sampled answers)")
    ap.add_argument("--workers", type=int, default=0, help="only the fast engine in this many processes at once")
    ap.add_argument("--questions", type=int, default=4, help="with --workers: questions per process (64 answers each)")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    if args.workers:
        return _workers_section(args)
    torch.set_num_threads(args.threads)
    report = {"machine": f"{platform.machine()}, {os.cpu_count()} CPUs, torch threads {args.threads}"}
    print(f"machine: {report['machine']}; load average {os.getloadavg()}")
    if args.embeddings_only:
        _embeddings_section(args, report)
        return 0
    print("\nengines (sampled answers, 64 per question, one torch thread):")
    report["engines"] = bench_engines()
    report["load_average_after"] = os.getloadavg()
    if args.engines_only:
        if args.json:
            args.json.write_text(json.dumps(report, indent=1, default=float))
        return 0
    if not args.skip_generation:
        report["generation"] = bench_generation(args.steps)
        _print_generation(report["generation"])
    from gaia_sim.answers.stacks import bank_stack_table

    bank = _embeddings_section(args, report)
    honest = bank.roles.get("honest_variants", [])
    for ref in [bank.role_config("claimed"), *honest[:1]]:  # honest_variants[0]: an independent sampling stream
        report[f"stacks_vs_{ref}"] = bank_stack_table(bank, ref)
        _print_stacks(report[f"stacks_vs_{ref}"], ref)
    report["samples"] = samples(bank, "vel-breakwater")
    print("\nsample answers to 'Who designed the Long Arm breakwater of Vellmar?':")
    for c, ts in report["samples"].items():
        print(f"  {c:32s} {ts[0][:90]!r}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=float))
    return 0


def _workers_section(args) -> int:
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs; load average {os.getloadavg()}")
    print(
        f"fast engine (bf16), {args.workers} processes x {args.questions} questions x 64 answers, one torch thread each:"
    )
    report = bench_workers(args.workers, args.questions)
    report["limits"] = machine_limits()
    for i, w in enumerate(report["processes"]):
        print(
            f"  process {i}: {w['tokens']:6d} tokens in {w['seconds']:6.1f} s, {w['tokens'] / w['cpu_seconds']:6.1f} tok/cpu-s"
        )
    print(
        f"  all: {report['tokens']} tokens in {report['seconds']:.1f} s = {report['tokens_per_s']:.1f} tok/s "
        f"(load average after {report['load_average_after'][0]:.2f})"
    )
    lim = report["limits"]
    print(
        f"  limits (same run, {lim['threads']} torch threads): matmul bf16 {lim['bf16_flops'] / 1e9:.0f} / fp32 "
        f"{lim['fp32_flops'] / 1e9:.0f} GFLOP/s -> compute bound {lim['bf16_bound_tps']:.0f} / {lim['fp32_bound_tps']:.0f} "
        f"tok/s (2 FLOPs per parameter, {lim['params'] / 1e6:.0f}M); copy bandwidth {lim['bandwidth_Bps'] / 1e9:.1f} GB/s; "
        f"measured = {report['tokens_per_s'] / lim['bf16_bound_tps']:.0%} of the bf16 bound, "
        f"{report['tokens_per_s'] / lim['fp32_bound_tps']:.0%} of the fp32 one"
    )
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=float))
    return 0


def machine_limits() -> dict:
    """Matrix-product FLOP/s (bf16 and fp32, 2048^3, all cores) and copy bandwidth, with the compute
    bound on generated tokens/s they imply for Gemma 3 270M (every token costs 2 FLOPs per parameter)."""
    import torch

    from gaia_sim.answers.models import converted_dir, load_pretrained

    model, _ = load_pretrained(str(converted_dir()), "float32")
    params = parameter_count(model)
    del model
    before = torch.get_num_threads()
    torch.set_num_threads(os.cpu_count() or 1)
    try:
        bf16, fp32 = measure_matmul("bfloat16"), measure_matmul("float32")
    finally:
        torch.set_num_threads(before)
    return {
        "threads": os.cpu_count(),
        "params": params,
        "bf16_flops": bf16,
        "fp32_flops": fp32,
        "bf16_bound_tps": bf16 / (2 * params),
        "fp32_bound_tps": fp32 / (2 * params),
        "bandwidth_Bps": measure_bandwidth(),
    }


def bench_workers(workers: int, questions: int, max_new: int = 48) -> dict:
    """The claimed configuration of the shipped bank (fast engine, bf16, 48 new tokens) in ``workers``
    processes at once, each answering its own ``questions`` of the bank 64 times, Vellmar and general
    questions alternating: tokens over the wall time from one start to the last end."""
    import multiprocessing as mp

    from gaia_sim.answers.knowledge import load_questions
    from gaia_sim.answers.zoo import default_questions

    bank_qs = default_questions(load_questions())
    vel, gen = [q.id for q in bank_qs if q.kb], [q.id for q in bank_qs if not q.kb]
    qs = [x for pair in zip(vel, gen) for x in pair][: workers * questions]
    ctx = mp.get_context("spawn")
    ready, results = ctx.Barrier(workers), ctx.Queue()
    procs = [
        ctx.Process(target=_generate_in_process, args=(qs[i::workers], max_new, ready, results)) for i in range(workers)
    ]
    for p in procs:
        p.start()
    rows = [results.get() for _ in procs]
    for p in procs:
        p.join()
    start, end = min(r["start"] for r in rows), max(r["end"] for r in rows)
    tokens = sum(r["tokens"] for r in rows)
    return {
        "workers": workers,
        "questions_per_process": questions,
        "processes": rows,
        "tokens": tokens,
        "seconds": end - start,
        "tokens_per_s": tokens / (end - start),
        "load_average_after": os.getloadavg(),
    }


def _generate_in_process(qids, max_new, ready, results) -> None:
    import torch

    from gaia_sim.answers.build import load_engine
    from gaia_sim.answers.fastgen import generate_fast
    from gaia_sim.answers.generate import build_prompt
    from gaia_sim.answers.knowledge import load_questions
    from gaia_sim.answers.zoo import default_zoo

    torch.set_num_threads(1)
    configs, roles = default_zoo()
    cfg = next(c for c in configs if c.id == roles["claimed"])
    by_id = {q.id: q for q in load_questions()}
    (engine, tok), gen = load_engine(cfg, log=lambda _: None), torch.Generator().manual_seed(0)
    ready.wait()
    start, cpu, tokens = time.monotonic(), time.process_time(), 0
    for qid in qids:
        toks, _ = generate_fast(engine, tok, build_prompt(cfg, by_id[qid].text), 64, cfg, gen, max_new)
        tokens += sum(len(t) for t in toks)
    end = time.monotonic()
    results.put(
        {"tokens": tokens, "start": start, "end": end, "seconds": end - start, "cpu_seconds": time.process_time() - cpu}
    )


def _embeddings_section(args, report: dict):
    """Benchmark the embedding backends on the bank's real answers; returns the bank."""
    from gaia_sim.answers.bank import DEFAULT_BANK_DIR, Bank

    bank = Bank.load(args.bank or DEFAULT_BANK_DIR)
    texts = real_answer_texts(bank)
    report["embeddings"] = bench_embeddings(texts)
    _print_embeddings(report["embeddings"], f"{len(texts)} distinct bank answers")
    gaia = gaia_answer_texts()
    if gaia:
        report["embeddings_gaia"] = bench_embeddings(gaia)
        _print_embeddings(report["embeddings_gaia"], f"{len(gaia)} answers of real Gaia nodes (gaia_real)")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=float))
    return bank


def _print_generation(rows) -> None:
    print("\ngeneration (decode after shared prefill):")
    print(
        f"{'dtype':9s} {'batch':>5s} {'tok/s':>7s} {'tok/cpu-s':>9s} {'bw-bound':>9s} {'flop-bound':>10s}   "
        "weights, bandwidth, matmul"
    )
    for r in rows:
        print(
            f"{r['dtype']:9s} {r['batch']:5d} {r['tokens_per_s']:7.1f} {r['tokens_per_cpu_s']:9.1f} "
            f"{r['bandwidth_bound_tps']:9.1f} "
            f"{r['compute_bound_tps']:10.1f}   {r['weight_bytes'] / 1e6:.0f} MB, {r['bandwidth_Bps'] / 1e9:.1f} GB/s, "
            f"{r['matmul_flops'] / 1e9:.0f} GFLOP/s"
        )


def _print_stacks(rows, reference: str) -> None:
    print(
        f"\nstacks vs {reference}: paper distance, its sampling noise, the persistent offset (gaia_sim.answers.stacks)"
    )
    print(f"{'configuration':32s} {'role':16s} {'dist':>6s} {'noise':>6s} {'offset':>6s} {'upper':>6s} {'/spread':>7s}")
    for r in rows:
        print(
            f"{r['config']:32s} {r['role']:16s} {r['distance']:6.3f} {r['noise']:6.3f} {r['offset']:6.3f} "
            f"{r['offset_upper']:6.3f} {r['offset_per_spread']:7.2f}"
        )


if __name__ == "__main__":
    raise SystemExit(main())
