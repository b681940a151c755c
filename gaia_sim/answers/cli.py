"""``gaia-sim bank build | verify | info``: the answer bank of real model outputs.

``build`` generates the missing answers of the chosen configurations (default: the whole default
zoo) for the question set, embeds and stores them; interrupted builds resume. ``verify`` checks every
file against the manifest's checksums, the configurations' content hashes and the embedding format.
``info`` prints the configurations, roles, counts and measured costs. ``calibrate`` measures all
configurations' costs interleaved, so they are comparable (see :mod:`gaia_sim.answers.calibrate`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from gaia_sim.errors import UserError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    b = sub.add_parser("build", help="generate, embed and store answers (resumable)")
    b.add_argument("--out", type=Path, default=None, help="bank folder (default: the shipped gaia_sim/data/bank)")
    b.add_argument("--configs", default="", help="comma-separated config ids of the default zoo (default: all)")
    b.add_argument(
        "--questions",
        default="",
        help="comma-separated ids from gaia_sim/data/kb/questions.toml (default: the first 30 Vellmar, 30 general)",
    )
    b.add_argument("--samples", type=int, default=None, help="answers per configuration and question (default: 64)")
    b.add_argument("--seed", type=int, default=None, help="root seed (default: the documented 20250417)")
    b.add_argument("--max-new-tokens", type=int, default=None, help="override every config's max_new_tokens")
    b.add_argument("--threads", type=int, default=2, help="torch CPU threads (of the single process)")
    b.add_argument("--workers", type=int, default=1, help="generate in this many processes, one thread each")
    b.add_argument(
        "--shard",
        default="",
        metavar="I/N",
        help="one of N machines: generate only shard I's chunks (0 <= I < N) into partial/, merged later",
    )
    b.add_argument(
        "--merge-from",
        default="",
        metavar="DIRS",
        help="comma-separated bank folders of shards built elsewhere: their finished chunks are copied in first",
    )
    b.add_argument("--no-progress", action="store_true", help="no progress bar")
    for name, text in (
        ("verify", "check files, checksums and content hashes"),
        ("info", "print configurations and costs"),
        ("calibrate", "measure every configuration's cost per answer, interleaved (comparable)"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("bank", nargs="?", type=Path, default=None, help="bank folder (default: the shipped bank)")
        if name == "calibrate":
            p.add_argument(
                "--only",
                default="",
                help="comma-separated configurations to price (timed beside the claimed one, scaled to its "
                "stored cost; the other stored costs stay)",
            )


def run(args: argparse.Namespace) -> int:
    return {"build": _build, "verify": _verify, "info": _info, "calibrate": _calibrate}[args.action](args)


def _select(items, wanted: str, what: str, key=lambda x: x.id):
    if not wanted:
        return list(items)
    names = [w.strip() for w in wanted.split(",") if w.strip()]
    known = {key(x): x for x in items}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UserError(f"--{what}: unknown {what} {unknown}; allowed: {sorted(known)}")
    return [known[n] for n in names]


def _build(args) -> int:
    from dataclasses import replace

    from gaia_sim.answers.bank import DEFAULT_BANK_DIR
    from gaia_sim.answers.build import BuildPlan, build, merge_chunks
    from gaia_sim.answers.knowledge import load_questions
    from gaia_sim.answers.zoo import DEFAULT_ROOT_SEED, DEFAULT_SAMPLES, default_questions, default_zoo
    from gaia_sim.atomic import check_output_dir

    samples = args.samples if args.samples is not None else DEFAULT_SAMPLES
    shard = _shard(args.shard)
    if samples < 1 or args.threads < 1 or args.workers < 1:
        raise UserError("--samples, --threads and --workers must be >= 1")
    import torch

    torch.set_num_threads(args.threads)
    configs, roles = default_zoo()
    configs = _select(configs, args.configs, "configs") if args.configs else configs
    if args.max_new_tokens:
        configs = [replace(c, max_new_tokens=args.max_new_tokens) for c in configs]
    ids = {c.id for c in configs}
    roles = {r: v for r, v in roles.items() if all(x in ids for x in (v if isinstance(v, list) else [v]))}
    everything = load_questions()
    questions = tuple(
        _select(everything, args.questions, "questions") if args.questions else default_questions(everything)
    )
    seed = DEFAULT_ROOT_SEED if args.seed is None else args.seed
    plan = BuildPlan(
        check_output_dir(args.out or DEFAULT_BANK_DIR, "bank folder"), configs, roles, questions, samples, seed
    )
    if args.merge_from:
        merge_chunks(plan, [Path(d.strip()) for d in args.merge_from.split(",") if d.strip()])
    manifest = build(plan, progress=not args.no_progress, workers=args.workers, shard=shard)
    if shard is not None:
        print(
            f"bank {plan.root}: shard {shard[0]}/{shard[1]} generated (chunks in {plan.root / 'partial'}); finish "
            f"on one machine with `gaia-sim bank build --merge-from <the shards' folders>` and the same options"
        )
        return 0
    print(
        f"bank {plan.root}: {len(manifest['configs'])} configurations x {len(questions)} questions x "
        f"{samples} samples; build time so far {manifest['build'].get('total_seconds', 0)} s"
    )
    return 0


def _shard(text: str) -> tuple[int, int] | None:
    """``"I/N"`` -> (I, N); a UserError saying what is allowed otherwise."""
    if not text:
        return None
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        i, n = -1, 0
    if not 0 <= i < n:
        raise UserError(f"--shard {text!r}: expected I/N with 0 <= I < N, e.g. 0/2 and 1/2 on two machines")
    return i, n


def _verify(args) -> int:
    from gaia_sim.answers.bank import DEFAULT_BANK_DIR
    from gaia_sim.answers.verify import verify_bank

    root = args.bank or DEFAULT_BANK_DIR
    report = verify_bank(root)
    print(
        f"{root}: OK — {report['configs']} configurations, {report['questions']} questions, "
        f"{report['rows']} answers, content hashes and checksums match"
    )
    return 0


def _info(args) -> int:
    from gaia_sim.answers.bank import DEFAULT_BANK_DIR, Bank

    root = args.bank or DEFAULT_BANK_DIR
    bank = Bank.load(root)
    print(
        f"bank {root}: {len(bank.configs)} configurations, {len(bank.questions)} questions, "
        f"{len(bank.texts)} answers, root seed {bank.meta.get('root_seed')}"
    )
    roles = bank.role_of()
    print(f"{'configuration':34s} {'role':16s} {'hash':24s} {'s/answer':>9s} {'tokens':>7s}")
    for c in bank.configs:
        cost = bank.cost(c)
        print(
            f"{c:34s} {roles.get(c, '-'):16s} {bank.meta['configs'][c]['hash']:24s} "
            f"{cost.seconds_per_answer:9.3f} {cost.tokens_per_answer:7.1f}"
        )
    print("(s/answer: measured seconds of compute per answer; tokens: mean generated tokens per answer)")
    for line in _build_lines(bank.meta.get("build", {})):
        print(line)
    return 0


def _build_lines(build: dict) -> list[str]:
    """The bank's build record as readable lines (nested records indented), not a raw dict."""
    lines = ["how it was built:"] if build else []
    for key, value in build.items():
        if isinstance(value, dict):
            lines.append(f"  {key.replace('_', ' ')}:")
            lines += [f"    {k.replace('_', ' ')}: {v}" for k, v in value.items()]
        else:
            lines.append(f"  {key.replace('_', ' ')}: {value}")
    return lines


def _calibrate(args) -> int:
    import torch

    from gaia_sim.answers.bank import DEFAULT_BANK_DIR
    from gaia_sim.answers.calibrate import calibrate

    torch.set_num_threads(1)  # as the build's worker processes: one thread each (see calibrate's docstring)
    root = args.bank or DEFAULT_BANK_DIR
    only = [c.strip() for c in args.only.split(",") if c.strip()] if args.only else None  # checked by calibrate
    for c, secs in calibrate(root, only=only).items():
        print(f"{c:34s} {secs:8.3f} s/answer")
    return 0
