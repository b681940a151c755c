"""``gaia-sim recommend SCENARIO``: the cheapest design that deters every attack the red team finds
(:mod:`gaia_sim.sweep.recommend`); prints it and writes it as a scenario file and a JSON record."""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

from gaia_sim.errors import UserError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", help="scenario file (TOML) whose levers to choose, e.g. scenarios/model_swap.toml")
    parser.add_argument("--seed", type=int, default=0, help="seed of the search (candidates, red team); default 0")
    parser.add_argument(
        "--budget",
        default="small",
        metavar="NAME[:TRIALS]",
        help="tiny, small (default: minutes on 2 cores), medium or large; ':N' sets the red team's trials per design",
    )
    parser.add_argument(
        "--second-look",
        type=int,
        metavar="SEEDS",
        help="seeds of the second look at an attack deterred in the mean but not at its bound (default: the "
        "budget's, large 15); more seeds narrow the bound of attacks whose gain rests on rare convictions",
    )
    parser.add_argument("--out", metavar="DIR", help="where to write (default: results/recommend/<scenario name>)")
    parser.add_argument(
        "--margin", type=float, default=0.0, help="tokens per node-epoch every attack must lose at least (default 0)"
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=0.0,
        metavar="T",
        help="tokens per node-epoch an attack may gain at most even if never convicted (its bound, known from 20 "
        "seeds: after a second look) and pass as immaterial; default 0: every attack must lose (docs/mechanism.md)",
    )
    parser.add_argument(
        "--max-false-slash",
        type=float,
        default=1e-3,
        help="largest honest false-slash rate per node-epoch (95%% upper bound; default 1e-3)",
    )
    parser.add_argument(
        "--attacks",
        metavar="NAME,...",
        help="deployments the red team may use (default: all; see docs/mechanism.md), e.g. model_swap,diluted",
    )
    parser.add_argument(
        "--max-share",
        type=float,
        default=None,
        metavar="X",
        help="threat model: the largest share of the nodes one attack may hold, 0.05-0.45 (default 0.45; the "
        "default detector's consensus breaks down between 0.35 and 0.4 coordinated replayers, docs/mechanism.md; detector.coordination = true in the scenario screens them, e019)",
    )
    parser.add_argument(
        "--paired",
        action="store_true",
        help="score each attack against its own nodes serving honestly in a twin run of the same seed (twice the "
        "simulations; removes the stacks and traffic the attacker drew from its gain, docs/mechanism.md)",
    )
    parser.add_argument(
        "--hold",
        action="append",
        default=[],
        metavar="LEVER=VALUE",
        help="hold a lever at one value in every candidate (repeatable), e.g. detector.name=default or "
        "network.validators=5: a protocol constraint, or one arm of a paired comparison (the other levers draw "
        "what they draw without it; docs/mechanism.md)",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--dask", metavar="ADDRESS", help="run simulations on a Dask cluster (or 'local')")
    where.add_argument("--workers", type=int, metavar="N", help="run simulations on a pool of N processes")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from gaia_sim.atomic import atomic_write, atomic_write_bytes, check_output_dir
    from gaia_sim.scenario import load_scenario, to_toml
    from gaia_sim.sweep import recommend as rec_mod

    _check(args)
    plan = rec_mod.budget(args.budget, args.second_look)
    hold = rec_mod.held(args.hold)
    deployments = _deployments(args.attacks)
    base = load_scenario(args.scenario)
    runner = _runner(args)
    out = check_output_dir(args.out or Path("results") / "recommend" / base.name)
    start = time.perf_counter()
    rec = rec_mod.recommend(
        base, plan, args.seed, runner, margin=args.margin, max_false_slash=args.max_false_slash,
        progress=not args.no_progress, deployments=deployments, max_share=_max_share(args.max_share),
        tolerance=args.tolerance, hold=hold,
    )  # fmt: skip
    record = _finite(rec_mod.as_json(rec, str(args.scenario)))
    atomic_write_bytes(out / "recommendation.json", (json.dumps(record, indent=2, sort_keys=True) + "\n").encode())
    if rec.found:
        header = (
            f"gaia-sim recommend {args.scenario} --seed {args.seed} --budget {args.budget}"
            + (f" --second-look {args.second_look}" if args.second_look is not None else "")
            + (f" --tolerance {args.tolerance:g}" if args.tolerance else "")
            + "".join(f" --hold {k}={v}" for k, v in hold.items())
            + ": the cheapest design found"
        )
        atomic_write_bytes(out / f"{base.name}.toml", to_toml(rec.best.scenario, header).encode())
    if record["attacks"]:
        fig = fig_attacks(record["attacks"], args.margin, args.tolerance)
        atomic_write(out / "attacks.png", lambda tmp: fig.savefig(tmp, format="png", dpi=110))
    print(text(record, rec, out, base.name, time.perf_counter() - start))
    return 0 if rec.found else 1


PAYS, DETERRED = "tab:red", "tab:blue"  # an attack whose bound is above -margin, and one below
IMMATERIAL = "tab:gray"  # one that gains at most --tolerance even if never convicted


def fig_attacks(attacks: list[dict], margin: float = 0.0, tolerance: float = 0.0):
    """What each attack the red team found earns against the design (recommendation.json's
    ``attacks``), best first. Left: its gain per node-epoch over honest with its interval, red where
    the upper bound is above -``margin`` (it may pay), blue where it is deterred, grey where it is
    immaterial at ``tolerance`` (its ``if_never_convicted`` bound <= it). Right: where the
    gain comes from (``breakdown``): revenue earned more, cost saved (-cost) and slashed less
    (-slashed), which add up to the gain. Both axes are linear within +-1 token and logarithmic
    beyond, so near-honest attacks and ruinous ones show on one figure."""
    from matplotlib.figure import Figure

    from gaia_sim.attacks import describe
    from gaia_sim.sweep.redteam import within_tolerance

    rows = list(reversed(attacks))  # best at the top
    labels = [describe(a["params"]) for a in rows]
    fig = Figure(figsize=(11, 1.2 + 0.45 * len(rows)), layout="constrained")
    ax, bx = fig.subplots(1, 2, sharey=True, width_ratios=[1.2, 1])
    for y, a in enumerate(rows):
        low, high, mean = (_num(a.get(k)) for k in ("ci_low", "ci_high", "profit_over_honest"))
        grey = within_tolerance(a.get("if_never_convicted"), tolerance)
        colour = DETERRED if high <= -margin else IMMATERIAL if grey else PAYS
        lo, hi = (v if math.isfinite(v) else mean for v in (low, high))
        ax.errorbar(mean, y, xerr=[[mean - lo], [hi - mean]], fmt="o", color=colour, capsize=3)
    ax.axvline(-margin, color="black", lw=1, ls="--", label=f"-margin ({0.0 - margin:g})")
    ax.set_yticks(range(len(rows)), labels, fontsize=7)
    title = f"gain, {_levels(rows)} interval (red: may pay" + (";\ngrey: immaterial)" if tolerance > 0 else ")")
    ax.set(xlabel="profit over honest (tokens per node-epoch)", title=title)
    ax.legend(fontsize=7, loc="lower right")
    parts = (("revenue", 1, "revenue", "tab:green"), ("cost", -1, "-cost (saved)", "tab:orange"))
    parts += (("slashed", -1, "-slashed", "tab:purple"),)
    for i, (key, sign, name, colour) in enumerate(parts):
        values = [sign * _num(a.get("breakdown", {}).get(key)) for a in rows]
        bx.barh([y + (i - 1) * 0.25 for y in range(len(rows))], values, height=0.25, color=colour, label=name)
    bx.axvline(0, color="black", lw=1)
    for a_ in (ax, bx):  # gains near 0 and ruinous ones on one axis: linear within +-1, logarithmic beyond
        a_.set_xscale("symlog", linthresh=1.0)
    bx.set(xlabel="tokens per node-epoch", title="where the gain comes from")
    bx.legend(fontsize=7, loc="lower right")
    return fig


def _num(v) -> float:
    """A JSON number (None: missing or infinite) as a float (NaN when missing)."""
    return math.nan if v is None else float(v)


def _levels(attacks: list[dict]) -> str:
    """The attacks' interval levels as a title reads them: one level, or their range (an attack
    given a second look is judged at redteam.TWO_LOOK_LEVEL, the others at redteam.LEVEL)."""
    levels = sorted({a.get("level", 0.9) for a in attacks})
    return f"{levels[0]:.0%}" if len(levels) == 1 else f"{levels[0]:.0%}-{levels[-1]:.0%}"


def _finite(value):
    """``value`` with every NaN or infinite float as None (JSON null: no value, e.g. no interval
    from a single seed), so any JSON reader takes the file."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _max_share(value: float | None) -> float:
    from gaia_sim.attacks import SHARE

    if value is None:
        return SHARE.high
    if not (math.isfinite(value) and SHARE.low <= value <= SHARE.high):
        raise UserError(f"--max-share {value}: allowed: a share of the nodes from {SHARE.low} to {SHARE.high}")
    return float(value)


def _deployments(spec: str | None) -> list[str] | None:
    from gaia_sim.attacks import deployments

    if spec is None:
        return None
    names = [n.strip() for n in spec.split(",") if n.strip()]
    bad = [n for n in names if n not in deployments()]
    if bad or not names:
        raise UserError(f"--attacks {spec!r}: allowed: a comma-separated list of {', '.join(deployments())}")
    return names


def _check(args) -> None:
    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers: must be >= 1, got {args.workers}")
    if not (math.isfinite(args.margin) and args.margin >= 0):
        raise UserError(f"--margin: must be a number >= 0, got {args.margin}")
    if not (math.isfinite(args.tolerance) and args.tolerance >= 0):
        raise UserError(f"--tolerance: must be a number >= 0 (tokens per node-epoch), got {args.tolerance}")
    if not 0 < args.max_false_slash < 1:
        raise UserError(f"--max-false-slash: must be in (0, 1), got {args.max_false_slash}")


def _runner(args):
    from gaia_sim.sweep.cells import DEFAULT_BACKEND
    from gaia_sim.sweep.redteam import PAIRED_BACKEND, Runner

    backend = PAIRED_BACKEND if getattr(args, "paired", False) else DEFAULT_BACKEND
    if args.dask:
        from gaia_sim.sweep.cli_sweep import quiet_dask_logs

        quiet_dask_logs()
        return Runner("dask", args.workers, args.dask, backend)
    if args.workers:
        return Runner("pool", args.workers, backend=backend)
    return Runner("serial", backend=backend)


def text(record: dict, rec, out: Path, name: str, seconds: float) -> str:
    """What the command prints: the design, what each attack earns now, the cost, the constraints."""
    from gaia_sim.attacks import describe

    lines = [
        f"{record['scenario']}: {record['candidates']} candidate designs; ruled out by the closed form: "
        f"{record['pruned_by_closed_form']} (bounds), {record['pruned_by_measured_rates']} (at measured detection "
        f"rates); {len(record['verified'])} verified by simulation"
        f" ({sum(v['origin'] == 'repair' for v in record['verified'])} of them repairs; {seconds:.0f} s)",
        f"threat model: one attack holds at most {record['settings']['max_share']:g} of the nodes (--max-share)"
        + ("; gains paired with honest twins (--paired)" if record["settings"].get("paired") else ""),
        *[f"held in every candidate (--hold): {k} = {_fmt(v)}" for k, v in record["settings"].get("hold", {}).items()],
        "",
    ]
    if not rec.found:
        lines += ["No design met every constraint within this budget; the closest one verified:", ""]
    lines += ["design"] + [f"  {k:<32} {_fmt(v)}" for k, v in record["design"].items()]
    lines += [
        "",
        "attacks the red team found: profit over honest (tokens per node-epoch, pooled over seeds), t interval by seed;"
        " = what it earned more - spent more - lost more to slashing",
    ]
    for a in record["attacks"]:
        desc = describe(a["params"])
        ci = f"[{_end(a['ci_low'])}, {_end(a['ci_high'])}] {a.get('level', 0.9):.0%} x {a['seeds']} seeds"
        lines.append(f"  {_end(a['profit_over_honest']):>9}  {ci}  {desc}")
        if a.get("breakdown"):
            lines.append(f"  {'':>9}  = {breakdown_text(a['breakdown'])}{never_text(a)}")
    c = record["cost"]
    if c:
        lines += [
            "",
            f"cost per epoch: {c['total']:.3f} tokens (capital {c['capital_per_epoch']:.3f}, "
            f"validators {c['validator_per_epoch']:.3f})",
        ]
    lines += ["", "constraints"]
    for k, v in record["constraints"].items():
        lines.append(
            f"  {k:<24} {_fmt(v['value']):>12}  limit {_fmt(v['limit']):>8}  {'pass' if v['pass'] else 'FAIL'}"
        )
    for label in record["constraints"].get("deterrence", {}).get("immaterial", []):
        t = record["constraints"]["deterrence"]["tolerance"]
        lines.append(f"  immaterial (gains at most {t:g} per node-epoch even if never convicted): {label}")
    written = [f"{out}/recommendation.json"] + ([f"{out}/attacks.png"] if record["attacks"] else [])
    written += [f"{out}/{name}.toml"] if rec.found else []
    lines += ["", "written: " + ", ".join(written)]
    return "\n".join(lines)


def breakdown_text(parts: dict) -> str:
    """An attack's gain by part (outcomes.gain_breakdown), per node-epoch over the reference."""
    return f"revenue {parts['revenue']:+.3f} - cost {parts['cost']:+.3f} - slashed {parts['slashed']:+.3f}"


def never_text(attack: dict) -> str:
    """What an attack (a record's entry) would gain at most if it were never convicted, when known
    (from 20 seeds: outcomes.gain_upper_bound), and the conviction rate that would stop it paying
    (redteam.break_even_conviction_rate) beside the convictions its runs showed; an undecided
    attack with a small gain saves little, and a rare conviction deters it."""
    v = attack.get("if_never_convicted")
    if v is None:
        return ""
    needed = break_even_text(attack)
    return f"; at most {v:+.3f} if never convicted" + (f"; pays unless convicted {needed}" if needed else "")


def break_even_text(attack: dict) -> str:
    """How often the detector would have to convict an attack (a record's entry) for it to stop
    paying (``break_even_conviction_rate``: redteam.break_even_conviction_rate), beside the
    convictions its runs showed; empty when the record has none (the attack loses even if never
    convicted, or it had fewer than 20 seeds). Printed by recommend and shown by the dashboard."""
    rate, seen = attack.get("break_even_conviction_rate"), attack.get("convictions") or {}
    if not rate:
        return ""
    text = f"once in {1.0 / rate:,.0f} node-epochs"
    return text + (f" (seen: {seen['slashes']:,.0f} in {seen['node_epochs']:,.0f})" if seen.get("node_epochs") else "")


def _end(v) -> str:
    """A profit or an interval's end as printed (None: the JSON's infinite or missing value)."""
    return "n/a" if v is None else f"{v:.3f}"


def _fmt(v) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)
