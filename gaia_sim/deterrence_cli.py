"""``gaia-sim deterrence SCENARIO.toml``: does cheating pay in this scenario, and what stake stops it?

Measures the detector's per-probe guilty-verdict rates with strategies frozen (a short calibration,
``deterrence.measured_rates``; or takes them from ``--tpr``/``--fpr``), then prints the closed-form
condition (``deterrence.from_scenario``): cost saving C, margin at the scenario's own stake and
slash fraction, and the smallest deterring stake for each slash fraction. With ``--shares`` it also
measures the detector's power at other cheating shares and reports the basin edge
(``deterrence.basin_edge``) and the stake that keeps cheating unprofitable at every measured share.
``--json FILE`` writes the numbers (atomic write).
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import replace

from gaia_sim.errors import UserError

FRACTIONS = (0.05, 0.1, 0.2, 0.5, 1.0)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", help="scenario TOML file, e.g. scenarios/lazy_nodes.toml")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override any parameter, e.g. --set probes.questions_per_epoch=8 (TOML value syntax)",
    )
    parser.add_argument("--behaviour", help="cheating behaviour to judge (default: the scenario's most common one)")
    parser.add_argument(
        "--tpr", type=float, help="use this per-probe guilty-verdict rate of cheaters instead of measuring it"
    )
    parser.add_argument(
        "--fpr", type=float, help="use this per-probe guilty-verdict rate of honest nodes instead of measuring it"
    )
    parser.add_argument("--seeds", type=int, default=2, help="calibration runs (seeds 1001, 1002, ...; default 2)")
    parser.add_argument("--epochs", type=int, default=20, help="epochs per calibration run (default 20)")
    parser.add_argument(
        "--shares", help="cheating shares at which to measure the detector's power, e.g. 0.2,0.3,0.35,0.4"
    )
    parser.add_argument(
        "--fractions",
        help="slash fractions for the min-stake table, each in (0, slashing.max_fraction] "
        "(default 0.05,0.1,0.2,0.5,1 up to max_fraction, and the scenario's own)",
    )
    parser.add_argument(
        "--imitation",
        action="store_true",
        help="also compute the imitation line of the network the scenario's seed draws (deterrence.imitation_line; "
        "seconds): where strategy revision on its stacks' expected payoffs turns it honest (experiments e026, e027)",
    )
    parser.add_argument("--json", help="also write the numbers to this JSON file")


def _floats(text: str, flag: str, lo: float, hi: float) -> list[float]:
    try:
        vals = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise UserError(f"{flag} {text!r}: expected comma-separated numbers, e.g. 0.2,0.3") from None
    if not vals or any(not lo <= v <= hi for v in vals):
        raise UserError(f"{flag} {text!r}: every value must lie in [{lo:g}, {hi:g}]")
    return sorted(vals)


def _check_args(args) -> None:
    for flag, v in (("--tpr", args.tpr), ("--fpr", args.fpr)):
        if v is not None and not 0.0 <= v <= 1.0:
            raise UserError(f"{flag} {v!r}: a rate must lie in [0, 1]")
    if args.seeds < 1 or args.epochs < 1:
        raise UserError("--seeds and --epochs must be at least 1")


def run(args: argparse.Namespace) -> int:
    from gaia_sim import deterrence
    from gaia_sim.atomic import atomic_write, check_output_file
    from gaia_sim.nodes import with_trait
    from gaia_sim.runner import load_answers
    from gaia_sim.scenario import load_scenario, parse_overrides

    _check_args(args)
    shares = _floats(args.shares, "--shares", 0.0, 1.0) if args.shares else None
    scenario = load_scenario(args.scenario)
    if args.set:
        scenario = scenario.with_overrides(
            parse_overrides(args.set), source=f"{args.scenario} (command-line overrides)"
        )
    cap = scenario.slashing.max_fraction  # no slash exceeds it (SlashingParams)
    if args.fractions is None:
        fractions = sorted({f for f in FRACTIONS if f <= cap} | {scenario.slashing.slash_fraction})
    else:
        fractions = _floats(args.fractions, "--fractions", 1e-9, cap)
    behaviour = args.behaviour or deterrence.main_cheater(scenario)
    cheats, mix = with_trait("cheats"), scenario.population.model_dump()
    if behaviour not in mix or behaviour not in cheats:
        allowed = sorted(k for k in mix if k in cheats)
        raise UserError(f"--behaviour {behaviour!r}: allowed {allowed}")
    if mix[behaviour] <= 0 and (args.tpr is None or args.fpr is None):
        raise UserError(
            f"{args.scenario}: no cheaters to measure (population.{behaviour} = 0); set a share, "
            f"e.g. --set population.{behaviour}=0.2 --set population.honest=0.8, or give --tpr and --fpr"
        )
    if args.imitation and not (mix.get("honest", 0.0) > 0 and mix.get(behaviour, 0.0) > 0):
        raise UserError(
            f"--imitation: {args.scenario} needs honest and {behaviour} nodes at the start "
            f"(population.honest = {mix.get('honest', 0.0)}, population.{behaviour} = {mix.get(behaviour, 0.0)})"
        )
    if args.json:
        check_output_file(args.json, "--json file")  # before the calibration runs, not after
    answers = load_answers(scenario.answers)
    seeds = tuple(1001 + i for i in range(args.seeds))
    # given rates measure no slash share: the evidence_threshold rule then assumes none slash (pessimistic)
    rates = {"p": args.tpr, "q": args.fpr, "C_measured": math.nan, "slash_share": 0.0, "source": "given"}
    if args.tpr is None or args.fpr is None:
        m = deterrence.measured_rates(scenario, answers, behaviour, seeds=seeds, epochs=args.epochs)
        rates = {
            "p": m["p"] if args.tpr is None else args.tpr,
            "q": m["q"] if args.fpr is None else args.fpr,
            "C_measured": m["C_measured"],
            "slash_share": m["slash_share"],
            "source": f"measured: {len(seeds)} seeds x {args.epochs} epochs, strategies frozen",
        }
    if math.isnan(rates["p"]):
        raise UserError(
            f"{args.scenario}: no {behaviour} node was probed in the calibration runs; "
            f"raise population.{behaviour} or probes.probe_fraction, or give --tpr"
        )
    d = deterrence.from_scenario(
        scenario,
        answers,
        behaviour,
        tpr=rates["p"],
        fpr=rates["q"],
        verdict_rates=True,
        slash_share=rates["slash_share"],
    )
    out = {
        "scenario": str(args.scenario),
        "behaviour": behaviour,
        "rates": rates,
        "cost_saving_C": d.cost_saving,
        "reward_R": d.reward,
        "jail_loss_J": d.jail_loss,
        "rule": scenario.slashing.rule,
        "rule_factor_k": d.rule_factor,
        "bond_loss_B": d.bond_loss,
        "slash_fraction": d.slash_fraction,
        "stake": d.stake,
        "margin": d.margin,
        "deters": d.deters,
        "min_stake": {str(f): _min_stake(d, f, scenario, rates["slash_share"], behaviour) for f in fractions},
        "honest_profit_H": d.honest_profit,
        "capital_rate_per_epoch": d.capital_rate,
        "participation_margin": d.participation_margin,
        "stake_band": {str(f): _band(d, f, scenario, rates["slash_share"], behaviour) for f in fractions},
    }
    if mix.get("honest", 0.0) > 0 and mix.get(behaviour, 0.0) > 0:
        spread = deterrence.saving_spread(scenario, answers, behaviour)
        high = replace(d, cost_saving=spread["high"])
        drawn = replace(d, cost_saving=deterrence.drawn_saving(scenario, answers, behaviour))
        out["saving_spread"] = spread | {
            "min_stake_at_high": {
                str(f): _min_stake(high, f, scenario, rates["slash_share"], behaviour) for f in fractions
            },
            "seed": scenario.seed,
            "drawn": drawn.cost_saving,
            "min_stake_drawn": {
                str(f): _min_stake(drawn, f, scenario, rates["slash_share"], behaviour) for f in fractions
            },
        }
        if args.imitation:
            line = deterrence.imitation_line(scenario, answers, behaviour)
            imitation = replace(d, cost_saving=line)  # the penalty imitation needs, in place of C
            out["imitation"] = {
                "seed": scenario.seed,
                "switch_saving": deterrence.switch_saving(scenario, answers, behaviour),
                "line": line,
                "min_stake": {
                    str(f): _min_stake(imitation, f, scenario, rates["slash_share"], behaviour) for f in fractions
                },
            }
    if shares:
        curve = [
            deterrence.measured_rates(scenario, answers, behaviour, share=x, seeds=seeds, epochs=args.epochs)["p"]
            for x in shares
        ]
        worst = replace(d, p_detect=min(curve))  # the weakest measured power
        out |= {
            "power_by_share": dict(zip(map(str, shares), curve)),
            "basin_edge": deterrence.basin_edge(
                shares, curve, d.slash_fraction, d.stake, d.cost_saving, d.reward, d.false_positive, d.jail_loss
            ),
            "min_stake_all_shares": {
                str(f): _min_stake(worst, f, scenario, rates["slash_share"], behaviour) for f in fractions
            },
        }
    print(_report(out, mix[behaviour]))
    if args.json:
        atomic_write(args.json, lambda tmp: tmp.write_text(json.dumps(out, indent=2, default=float)))
        print(f"written to {args.json}")
    return 0


def _min_stake(d, f: float, scenario, slash_share: float, behaviour: str) -> float:
    """Smallest deterring stake at slash fraction ``f``, with the rule's k and B priced at that ``f``."""
    from gaia_sim import deterrence

    at_f = scenario.with_overrides({"slashing.slash_fraction": float(f)})
    k, b = deterrence.rule_terms(at_f, d.p_detect, slash_share, behaviour)
    return replace(d, slash_fraction=f, rule_factor=k, bond_loss=b).min_stake


def _band(d, f: float, scenario, slash_share: float, behaviour: str) -> list[float]:
    """[smallest deterring stake, largest stake honest nodes accept] at slash fraction ``f``."""
    from gaia_sim import deterrence

    at_f = scenario.with_overrides({"slashing.slash_fraction": float(f)})
    k, b = deterrence.rule_terms(at_f, d.p_detect, slash_share, behaviour)
    return list(replace(d, slash_fraction=f, rule_factor=k, bond_loss=b).stake_band)


def _fmt_band(band: list[float]) -> str:
    lo, hi = band
    if not lo <= hi:
        return f"EMPTY (deters from {_fmt(lo)}, honest nodes stay up to {_num(hi)})"
    return f"[{_num(lo)}, {_num(hi)}]"


def _spread_lines(o: dict) -> list[str]:
    """How far the draw of honest and cheating nodes onto stacks moves C (deterrence.saving_spread)."""
    if "saving_spread" not in o:
        return []
    s = o["saving_spread"]
    return [
        f"  C of one domain as drawn onto stacks: 90% of draws in [{s['low']:.3f}, {s['high']:.3f}]; the most tempted"
        f" stack saves {s['worst_stack']:.3f} (experiments e016-e028: with honest stacks that differ, the simulated"
        " line follows --imitation more closely than any C)",
        "  smallest deterring stake at the upper C: "
        + ", ".join(f"f={f}: {_fmt(v)}" for f, v in s["min_stake_at_high"].items()),
        f"  C of the network seed {s['seed']} draws (known before the run): {s['drawn']:.3f} (its first cheaters' mean"
        " net minus its first honest nodes', on the stacks each drew); its smallest deterring stake: "
        + ", ".join(f"f={f}: {_fmt(v)}" for f, v in s["min_stake_drawn"].items()),
    ]


def _imitation_lines(o: dict) -> list[str]:
    """The imitation line of the drawn network (deterrence.imitation_line), when asked for."""
    if "imitation" not in o:
        return []
    m = o["imitation"]
    return [
        f"  imitation line of the network seed {m['seed']} draws: an expected penalty of {m['line']:.3f} tokens/epoch"
        f" (its switch saving, the mean over its nodes of what switching saves on their own stack:"
        f" {m['switch_saving']:.3f}); smallest stake at which imitation turns it honest: "
        + ", ".join(f"f={f}: {_fmt(v)}" for f, v in m["min_stake"].items()),
        "  (experiments e027, e028: the simulated line sat 0.0-0.1 C above it in 100-node domains; 30-node runs"
        " are too noisy to show it)",
    ]


def _report(o: dict, start_share: float) -> str:
    r = o["rates"]
    lines = [
        f"{o['scenario']}: {o['behaviour']} ({start_share:.0%} of nodes at the start)",
        f"  detector: p = {r['p']:.3f} guilty verdicts per probe of a cheater, q = {r['q']:.4f} of an honest node ({r['source']})",
        f"  cost saving C = {o['cost_saving_C']:.3f} tokens/epoch (closed form)"
        + (
            ""
            if math.isnan(r["C_measured"])
            else f"; measured revenue - cost gap {r['C_measured']:.3f}"
            + (" (after revenue forfeited on guilty verdicts)" if o["reward_R"] > 0 else "")
        ),
        *_spread_lines(o),
        *_imitation_lines(o),
        f"  penalty per upheld verdict: R = {o['reward_R']:.3f} + k f S = {o['rule_factor_k']:.3f} x {o['slash_fraction']:g} x "
        f"{o['stake']:g} + J = {o['jail_loss_J']:.3f} + B = {o['bond_loss_B']:.3f} (rule {o['rule']}: k, B from deterrence.rule_terms)",
        f"  margin (p - q)(R + k f S + J + B) - C = {o['margin']:+.3f} tokens/epoch -> "
        + ("DETERRED: cheating does not pay" if o["deters"] else "NOT deterred: cheating pays"),
        "  smallest deterring stake by slash fraction: "
        + ", ".join(f"f={f}: {_fmt(s)}" for f, s in o["min_stake"].items()),
        f"  participation: honest profit H = {o['honest_profit_H']:.3f} tokens/epoch before penalties; capital cost "
        f"{o['capital_rate_per_epoch']:.3g} per token of stake per epoch; at S = {o['stake']:g} honest nodes keep "
        f"{o['participation_margin']:+.3f} tokens/epoch above their outside option -> "
        + ("they stay" if o["participation_margin"] >= 0 else "they LEAVE"),
        "  stake band that deters AND keeps honest nodes in, by slash fraction: "
        + ", ".join(f"f={f}: {_fmt_band(b)}" for f, b in o["stake_band"].items()),
    ]
    if o["rule"] == "evidence_threshold":
        lines.append(
            f"  share of guilty verdicts that slash (evidence threshold reached): {r['slash_share']:.3f}"
            + (
                " (not measured with given rates: assumed 0, pessimistic; omit --tpr/--fpr to measure it)"
                if r["source"] == "given"
                else ""
            )
        )
    if all(not lo <= hi for lo, hi in o["stake_band"].values()):
        lines.append(
            "  the band is EMPTY at every slash fraction: no stake both deters cheating and keeps honest nodes in"
        )
    if any(s == 0.0 for s in o["min_stake"].values()):
        lines.append(
            f"  (a smallest stake of 0 means no stake is needed: the revenue forfeited and the jail loss on a "
            f"guilty verdict, R + J + B = {o['reward_R'] + o['jail_loss_J'] + o['bond_loss_B']:.3f}, already outweigh C at this p)"
        )
    if "basin_edge" in o:
        pw = ", ".join(f"{x}: {p:.3f}" for x, p in o["power_by_share"].items())
        xs = [float(x) for x in o["power_by_share"]]
        edge = o["basin_edge"]
        where = (
            f"beyond the largest measured share ({xs[-1]:g})"
            if edge >= xs[-1] and o["deters"]
            else f"nowhere in the measured range (from {xs[0]:g})"
            if edge <= xs[0]
            else f"up to a {edge:.3f} cheating share"
        )
        lines += [
            f"  detector power by cheating share: {pw}",
            f"  basin edge at this stake: cheating stays unprofitable {where} (start {start_share:.3f})",
            f"  stake that deters at every measured share ({xs[0]:g}-{xs[-1]:g}): "
            + ", ".join(f"f={f}: {_fmt(s)}" for f, s in o["min_stake_all_shares"].items()),
        ]
    return "\n".join(lines)


def _fmt(s: float) -> str:
    return "none deters" if not math.isfinite(s) else f"{s:.2f}"


def _num(s: float) -> str:
    return f"{s:.2f}" if math.isfinite(s) else ("no limit" if s > 0 else "none")
