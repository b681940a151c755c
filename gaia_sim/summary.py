"""What a finished run means, in words and numbers: the ``gaia-sim run`` summary and its ``--json``.

Reads only a :class:`~gaia_sim.runner.RunResult` (tables and ``summary``); it simulates nothing
except the closed-form check, which prices one epoch with :mod:`gaia_sim.deterrence`. The dashboard
shows the same lines (one home for "what happened").
"""

from __future__ import annotations

import math
from typing import Any

from gaia_sim.outcomes import behaviour_table, present_behaviours

__all__ = [
    "behaviour_table",
    "present_behaviours",
    "closed_form_line",
    "conclusion",
    "headline_lines",
    "summary_json",
    "summary_text",
]

#: Summary keys, their unit and a one-line explanation (the ``--json`` output carries these too).
UNITS: dict[str, tuple[str, str]] = {
    "final_honest_share": ("fraction", "share of active nodes that are honest after the last epoch"),
    "mean_honest_share_last_10pct": ("fraction", "mean honest share over the last 10% of epochs"),
    "slashed_total": ("tokens", "stake slashed from nodes over the run"),
    "wrongly_slashed_total": ("tokens", "stake slashed from honest nodes over the run"),
    "flag_rate_honest": ("per probed node-epoch", "guilty verdicts on honest nodes / honest nodes probed"),
    "tpr_cheaters": ("per probed node-epoch", "guilty verdicts on cheaters / cheaters probed"),
    "settled_epoch": ("epoch", "first epoch after which every share stays within the settle tolerance (none: never)"),
}


def conclusion(result) -> str:
    """One sentence: who gained share, who was slashed, was anyone honest slashed."""
    table = behaviour_table(result).set_index("behaviour")
    if table.empty:
        return "No node ran."
    total_start, total_end = table["nodes_start"].sum(), max(table["nodes_end"].sum(), 1)
    change = {b: r.nodes_end / total_end - r.nodes_start / max(total_start, 1) for b, r in table.iterrows()}
    winner = max(change, key=change.get)
    moved = (
        f"{winner} gained share ({table.loc[winner, 'nodes_start']} -> {table.loc[winner, 'nodes_end']} nodes)"
        if change[winner] > 0
        else "no behaviour gained share"
    )
    cheaters = table.drop(index="honest", errors="ignore")
    slashed = cheaters[cheaters["slashed_tokens"] > 0]
    caught = (
        ", ".join(
            f"{r.Index} lost {r.slashed_tokens:,.0f} tokens in {r.guilty_verdicts} guilty verdicts"
            for r in slashed.itertuples()
        )
        if len(slashed)
        else "no cheater was slashed"
        if len(cheaters)
        else "there were no cheaters"
    )
    wrong = result.summary.get("wrongly_slashed_total", math.nan)
    honest = (
        "wrongful slashes unknown (no summary)"
        if math.isnan(wrong)
        else f"honest nodes were wrongly slashed {wrong:,.0f} tokens"
        if wrong > 0
        else "no honest node was slashed"
    )
    return f"{moved}; {caught}; {honest}."


def closed_form_line(result, answers, unavailable: str = "no answer source") -> str:
    """What the closed-form deterrence condition predicts for this run, and whether the run agrees."""
    from gaia_sim import deterrence

    scenario = result.scenario
    cheater = deterrence.main_cheater(scenario)
    if scenario.population.model_dump()[cheater] <= 0:
        return "Closed form: no cheating behaviour in this scenario's mix."
    if answers is None:
        return f"Closed form: unavailable ({unavailable})."
    try:
        c = deterrence.check_cell(result, answers, threshold=None)
    except Exception as err:  # noqa: BLE001 - a run too short to probe anyone, ...: say why, do not crash
        return f"Closed form: unavailable ({type(err).__name__}: {err})."
    start, end = scenario.population.honest, c["honest_share"]
    went = "rose" if end > start else "fell" if end < start else "did not move"
    said = "deterred (cheating does not pay)" if c["predicted_deterred"] else "not deterred (cheating pays)"
    verdict = (
        "agrees."
        if c["agree"]
        else "not yet: run more epochs or raise strategy.revision_rate."
        if end == start
        else "disagrees (near the line a run of noisy epochs can decide; experiments e002, e008)."
    )
    return (
        f"Closed form (gaia_sim.deterrence, detector rates of the first 5 epochs: p = {c['p_detect']:.2f}): "
        f"margin {c['margin']:+.3g} tokens/epoch for {cheater}, so {said}; "
        f"the honest share {went} ({start:.2f} -> {end:.2f}, last 10% of epochs): {verdict}"
    )


def _fmt_rate(x: float) -> str:
    return "n/a (none probed)" if x is None or math.isnan(x) else f"{x:.4f} per probed node-epoch"


def headline_lines(result) -> list[str]:
    """The run's headline figures with units; 'never' and 'n/a' instead of -1 and NaN."""
    s = result.summary
    settled = int(s.get("settled_epoch", -1))
    st = result.scenario.strategy
    unsettled = f"never (no {st.settle_window}-epoch window in which every share stays within {st.settle_tolerance:g})"
    lines = [
        f"final honest share            {s['final_honest_share']:.1%} of active nodes",
        f"honest share, last 10%        {s['mean_honest_share_last_10pct']:.1%} (mean)",
        f"slashed                       {s['slashed_total']:,.1f} tokens, of which honest {s['wrongly_slashed_total']:,.1f}",
        f"honest guilty-verdict rate    {_fmt_rate(s['flag_rate_honest'])}",
        f"cheater guilty-verdict rate   {_fmt_rate(s['tpr_cheaters'])}",
        "shares settled                " + (f"from epoch {settled}" if settled > 0 else unsettled),
    ]
    return lines


def summary_text(result, answers=None) -> str:
    """The ``gaia-sim run`` summary: what ran, one row per present behaviour, headline, conclusion."""
    sc = result.scenario
    head = (
        f"{sc.name}: {sc.network.domains} domain(s) x {sc.network.nodes_per_domain} nodes, "
        f"{sc.network.validators} validators each, {sc.epochs} epochs of {sc.network.epoch_hours:g} h, "
        f"seed {sc.seed} (scenario hash {sc.hash})"
    )
    table = behaviour_table(result)
    cols = (
        f"{'behaviour':<16}{'nodes':>10}{'revenue':>10}{'cost':>9}{'profit':>9}{'slashed':>12}{'guilty verdicts':>18}"
    )
    units = f"{'':<16}{'start->end':>10}{'(tokens per node-epoch)':>28}{'(tokens)':>12}{'/ node-epochs probed':>22}"
    lines = [head, "", cols, units, "-" * len(units)]
    for r in table.itertuples():
        lines.append(
            f"{r.behaviour:<16}{r.nodes_start:>4} -> {r.nodes_end:<2}{r.revenue_per_node_epoch:>10.3f}"
            f"{r.cost_per_node_epoch:>9.3f}{r.profit_per_node_epoch:>9.3f}{r.slashed_tokens:>12,.1f}"
            f"{r.guilty_verdicts:>11} / {r.probed_node_epochs}"
        )
    lines += ["", *headline_lines(result), "", "What happened: " + conclusion(result)]
    if answers is not None:
        lines.append(closed_form_line(result, answers))
    return "\n".join(line.rstrip() for line in lines)


def summary_json(result, answers=None) -> dict[str, Any]:
    """The summary for machines: scenario, per-behaviour rows, headline figures with units, conclusion."""
    s = result.summary
    clean = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in s.items()}
    if clean.get("settled_epoch") is not None and clean["settled_epoch"] < 0:
        clean["settled_epoch"] = None
    return {
        "scenario": result.scenario.name,
        "hash": result.scenario.hash,
        "seed": result.scenario.seed,
        "epochs": result.scenario.epochs,
        "behaviours": behaviour_table(result).to_dict(orient="records"),
        "summary": clean,
        "units": {k: {"unit": u, "meaning": m} for k, (u, m) in UNITS.items()},
        "conclusion": conclusion(result),
        "closed_form": closed_form_line(result, answers) if answers is not None else None,
    }
