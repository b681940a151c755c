"""e005: red team. Search the attack that maximises a cheater's profit, then find the protocol change
that defeats it.

    .venv/bin/python experiments/e005_red_team/analysis.py [--trials N] [--set PATH=VALUE ...]

1. ``gaia_sim.sweep.redteam.search`` (Optuna TPE, seeded) over search.toml's [space] under its
   [protocol]; objective: profit per node-epoch of the attacking behaviour (mean over replicates).
2. The best attack is re-run under each candidate change in [defences]; a change defeats it when the
   attacker then earns less per node-epoch than honest nodes in the same runs.
3. A second, shorter search under the winning change checks whether the attacker adapts around it;
   if it does, each other change is added on top and tried against the adapted attack.
Writes figure.png (trials) and result.json here.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def translate(p: dict) -> dict:
    """Attacker parameters -> scenario overrides."""
    b, share = p["behaviour"], round(float(p["share"]), 4)
    out = {"population": {"honest": round(1.0 - share, 4), b: share}}
    if b == "model_swapping":
        out.update(
            {
                "behaviours.model_swapping.cheat_rate": p["cheat_rate"],
                "behaviours.model_swapping.when": p["when"],
                "behaviours.model_swapping.swap_to": p["swap_to"],
            }
        )
    elif b == "lazy":
        out.update({"behaviours.lazy.skip_rate": p["cheat_rate"], "behaviours.lazy.mode": p["lazy_mode"]})
    elif b == "kb_swapping":
        out["behaviours.kb_swapping.swap_to"] = p["kb"]
    else:
        v = float(p["colluding_validators"])
        out.update(
            {
                "behaviours.colluding.ring_model": p["swap_to"],
                "validator_population": {"honest": round(1.0 - v, 4), "colluding": v},
            }
        )
    return out


def relevant(p: dict) -> dict:
    keep = {
        "model_swapping": ("cheat_rate", "when", "swap_to"),
        "lazy": ("cheat_rate", "lazy_mode"),
        "kb_swapping": ("kb",),
        "colluding": ("swap_to", "colluding_validators"),
    }[p["behaviour"]]
    return {k: p[k] for k in ("behaviour", "share", *keep)}


def cheater_profit(result, overrides) -> float:
    b = next(k for k, v in overrides["population"].items() if k != "honest" and v > 0)
    v = result.summary.get(f"profit_per_node_{b}", float("nan"))
    return v if np.isfinite(v) else -1e9  # no cheater left to earn anything


def advantage(means: dict, b: str) -> float:
    return means.get(f"profit_per_node_{b}", np.nan) - means.get("profit_per_node_honest", np.nan)


def load(path: Path, sets: dict):
    from gaia_sim.scenario import load_scenario

    cfg = tomllib.loads(path.read_text())
    base = load_scenario((path.parent / cfg["search"]["base"]).resolve()).with_overrides({**cfg["protocol"], **sets})
    return cfg, base


def main(argv=None) -> int:
    from gaia_sim.rng import spawn_seeds
    from gaia_sim.scenario import parse_overrides
    from gaia_sim.sweep import redteam

    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int)
    ap.add_argument("--set", action="append", default=[], dest="sets")
    args = ap.parse_args(argv)
    cfg, base = load(HERE / "search.toml", parse_overrides(args.sets))
    s = cfg["search"]
    trials, reps = args.trials or s["trials"], s["replications"]
    found = redteam.search(
        base, cfg["space"], cheater_profit, trials=trials, seed=s["seed"], replications=reps, translate=translate
    )
    best = relevant(found.best_params)
    b = best["behaviour"]
    seeds = spawn_seeds(base.seed, reps)
    _, means = redteam.evaluate(base, translate(found.best_params), cheater_profit, seeds)
    print(f"best attack after {trials} trials: {best}")
    print(
        f"  cheater profit {found.best_value:.3f} vs honest {means.get('profit_per_node_honest', np.nan):.3f} tokens/node-epoch"
        f" (advantage {advantage(means, b):+.3f}); final honest share {means.get('final_honest_share', np.nan):.3f}"
    )
    per_b = found.trials.assign(behaviour=found.trials["behaviour"]).groupby("behaviour")["objective"].max()
    print("best profit per behaviour:", per_b.round(3).to_dict())
    defences = []
    for name, change in cfg["defences"].items():
        _, m = redteam.evaluate(base.with_overrides(change), translate(found.best_params), cheater_profit, seeds)
        defences.append(
            {
                "defence": name,
                "change": change,
                "cheater_profit": m.get(f"profit_per_node_{b}", np.nan),
                "honest_profit": m.get("profit_per_node_honest", np.nan),
                "advantage": advantage(m, b),
                "final_honest_share": m.get("final_honest_share", np.nan),
            }
        )
    d = pd.DataFrame(defences)
    print(d.drop(columns="change").round(3).to_string(index=False))
    winners = d[d["advantage"] < 0].sort_values("advantage")
    result = {
        "trials": trials,
        "replications": reps,
        "best_attack": best,
        "best_profit": found.best_value,
        "honest_profit": means.get("profit_per_node_honest"),
        "advantage": advantage(means, b),
        "best_profit_per_behaviour": per_b.to_dict(),
        "defences": defences,
    }
    if len(winners):
        win = winners.iloc[0]
        again = redteam.search(
            base.with_overrides(win["change"]),
            cfg["space"],
            cheater_profit,
            trials=max(10, trials // 2),
            seed=s["seed"] + 1,
            replications=reps,
            translate=translate,
        )
        rb = relevant(again.best_params)
        _, m2 = redteam.evaluate(
            base.with_overrides(win["change"]), translate(again.best_params), cheater_profit, seeds
        )
        result["chosen_defence"] = win["defence"]
        result["adaptive_attack_under_defence"] = {
            "attack": rb,
            "profit": again.best_value,
            "advantage": advantage(m2, rb["behaviour"]),
        }
        print(
            f"defence '{win['defence']}': re-searched attack {rb} earns {again.best_value:.3f}"
            f" (advantage {advantage(m2, rb['behaviour']):+.3f})"
        )
        if advantage(m2, rb["behaviour"]) >= 0:  # the attacker adapted: add a second change on top
            combos = []
            for name, change in cfg["defences"].items():
                if name == win["defence"]:
                    continue
                both = {**win["change"], **change}
                _, m3 = redteam.evaluate(base.with_overrides(both), translate(again.best_params), cheater_profit, seeds)
                combos.append(
                    {
                        "defence": f"{win['defence']} + {name}",
                        "advantage": advantage(m3, rb["behaviour"]),
                        "cheater_profit": m3.get(f"profit_per_node_{rb['behaviour']}", np.nan),
                    }
                )
            c = pd.DataFrame(combos)
            print("against the adapted attack:\n" + c.round(3).to_string(index=False))
            result["combined_defences_vs_adapted_attack"] = combos
    figure(found.trials, HERE / "figure.png")
    (HERE / "result.json").write_text(json.dumps(result, indent=2, default=float) + "\n")
    return 0


def figure(trials: pd.DataFrame, path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.0), layout="constrained")
    ax = fig.add_subplot()
    for b, part in trials.groupby("behaviour"):
        ax.scatter(part["trial"], part["objective"].clip(lower=-50), label=b, s=25)
    ax.plot(trials["trial"], trials["objective"].cummax().clip(lower=-50), "k-", lw=1, label="best so far")
    ax.set(
        xlabel="trial", ylabel="cheater profit per node-epoch (tokens, clipped at -50)", title="e005: red-team search"
    )
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
