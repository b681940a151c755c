"""THE outcomes reducer: every figure a run is summed up by, computed in one place.

The run summary (``RunResult.summary``, written to manifest.json), a sweep cell's row, the detector
rates deterrence calibrates with, and what the dashboard and ``gaia-sim run`` print all come from
these functions over a run's tables (steps, network, events; columns in docs/architecture.md).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from gaia_sim.params import NODE_BEHAVIOURS
from gaia_sim.strategy import settled_epoch

EARLY_EPOCHS = 5  # epochs over which the early_* detection rates of a sweep row are measured


def run_summary(result, node_epochs: dict[str, int]) -> dict[str, float]:
    """Headline numbers of a run (keys listed in docs/architecture.md); ``node_epochs``: the
    recorder's honest/cheater probed and flagged counts."""
    net, steps = result.network, result.steps
    if net.empty:
        return {}
    tail = net["honest_share"].iloc[-max(1, len(net) // 10) :]
    nodes = steps[steps["role"] == "node"]
    out: dict[str, Any] = {
        "final_honest_share": float(net["honest_share"].iloc[-1]),
        "mean_honest_share_last_10pct": float(tail.mean()),
        "slashed_total": float(nodes["slashed"].sum()),
        "wrongly_slashed_total": float(nodes["wrongly_slashed"].sum()),
        "flag_rate_honest": ratio(node_epochs["honest_flagged"], node_epochs["honest_probed"]),
        "tpr_cheaters": ratio(node_epochs["cheater_flagged"], node_epochs["cheater_probed"]),
        "settled_epoch": float(run_settled_epoch(result)),
    }
    out |= settled_shares(nodes, int(out["settled_epoch"]))
    for b, g in nodes.groupby("behaviour"):
        out[f"profit_per_node_{b}"] = ratio(g["profit"].sum(), g["count"].sum())
    validators = steps[steps["role"] == "validator"]
    for b, g in validators.groupby("behaviour"):
        if g["count"].sum() > 0:  # validator behaviours present in the run
            out[f"profit_per_validator_{b}"] = ratio(g["profit"].sum(), g["count"].sum())
    return out


def run_settled_epoch(result) -> int:
    """First epoch after which every behaviour's share stays within the settle tolerance (-1: never)."""
    st = result.scenario.strategy
    return settled_epoch(share_matrix(result.steps), st.settle_window, st.settle_tolerance)


def share_matrix(steps: pd.DataFrame) -> np.ndarray:
    """(epochs, behaviours) node shares in schema order."""
    nodes = steps[steps["role"] == "node"]
    return nodes.pivot(index="epoch", columns="behaviour", values="share")[list(NODE_BEHAVIOURS)].to_numpy()


def settled_shares(nodes: pd.DataFrame, epoch: int) -> dict[str, float]:
    """Where the run settled: each behaviour's share at the settled epoch (NaN if it never settled)."""
    at = nodes[nodes["epoch"] == epoch].set_index("behaviour")["share"]
    return {f"settled_share_{b}": float(at.get(b, np.nan)) for b in NODE_BEHAVIOURS}


def ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den else float("nan")


def early_rates(result, epochs: int = 10) -> tuple[float, float]:
    """(guilty-verdict rate of cheaters, of honest nodes) per probe over the first ``epochs`` epochs:
    the detector's power under the initial population, before strategy revision changes the mix
    (later rates are endogenous: a cheating majority shifts the consensus the detector relies on)."""
    from gaia_sim.nodes import with_trait

    ev = result.events
    v = ev[(ev["kind"] == "verdict") & (ev["epoch"] <= epochs)]
    honest = v["behaviour"].isin(with_trait("cheats", False))
    tpr = float(v.loc[~honest, "flagged"].mean()) if (~honest).any() else float("nan")
    fpr = float(v.loc[honest, "flagged"].mean()) if honest.any() else float("nan")
    return tpr, fpr


def present_behaviours(steps: pd.DataFrame) -> list[str]:
    """Node behaviours that had at least one node in some epoch, in schema order."""
    nodes = steps[steps["role"] == "node"]
    seen = set(nodes.loc[nodes["count"] > 0, "behaviour"])
    return [b for b in NODE_BEHAVIOURS if b in seen]


def behaviour_table(result) -> pd.DataFrame:
    """One row per present behaviour: nodes at start and end, tokens per node-epoch, totals, verdicts."""
    nodes = result.steps[result.steps["role"] == "node"]
    first, last = nodes["epoch"].min(), nodes["epoch"].max()
    rows = []
    for b in present_behaviours(result.steps):
        g = nodes[nodes["behaviour"] == b]
        node_epochs = g["count"].sum()
        per = {
            col: float(g[col].sum() / node_epochs) if node_epochs else math.nan for col in ("revenue", "cost", "profit")
        }
        rows.append(
            {
                "behaviour": b,
                "nodes_start": int(g.loc[g["epoch"] == first, "count"].sum()),
                "nodes_end": int(g.loc[g["epoch"] == last, "count"].sum()),
                "revenue_per_node_epoch": per["revenue"],
                "cost_per_node_epoch": per["cost"],
                "profit_per_node_epoch": per["profit"],
                "slashed_tokens": float(g["slashed"].sum()),
                "guilty_verdicts": int(g["flagged"].sum()),
                "probed_node_epochs": int(g["probed"].sum()),
            }
        )
    return pd.DataFrame(rows)


def cell_row(result: Any, metrics: tuple[str, ...] = ()) -> dict[str, float]:
    """A sweep cell's row: the run summary (numeric values), the honest-share trajectory, per-behaviour
    economics and the early detection rates; ``metrics`` keeps only the named ones (a missing one
    is NaN plus a ``missing:<name>`` flag)."""
    row = {k: float(v) for k, v in result.summary.items() if _is_number(v)}
    row.update(trajectory(getattr(result, "network", None)))
    row.update(per_behaviour(getattr(result, "steps", None)))
    row.update(_early_rate_columns(result))
    if metrics:
        missing = [m for m in metrics if m not in row]
        row = {m: row.get(m, math.nan) for m in metrics}
        row.update({f"missing:{m}": 1.0 for m in missing})
    return row


def trajectory(network) -> dict[str, float]:
    """First/last honest share and its change over the run (network.parquet, one row per epoch)."""
    if network is None or len(network) == 0 or "honest_share" not in network:
        return {}
    share = network.sort_values("epoch")["honest_share"].to_numpy(dtype=float)
    return {
        "honest_share_first": share[0],
        "honest_share_last": share[-1],
        "honest_share_change": share[-1] - share[0],
        "epochs_run": float(len(share)),
    }


def per_behaviour(steps) -> dict[str, float]:
    """Per node-epoch revenue, cost and slash, guilty-verdict rate per probe (nodes), and profit and
    slash per validator-epoch, for every behaviour present (steps.parquet columns, docs/architecture.md)."""
    if steps is None or len(steps) == 0 or "role" not in steps:
        return {}
    out: dict[str, float] = {}
    sums = steps.groupby(["role", "behaviour"])[
        ["count", "revenue", "cost", "profit", "slashed", "slashed_count", "flagged", "probed"]
    ].sum()
    for (role, b), r in sums.iterrows():
        if r["count"] <= 0:
            continue
        if role == "node":
            out.update({f"{k}_per_node_{b}": r[k] / r["count"] for k in ("revenue", "cost", "slashed")})
            out[f"verdict_rate_{b}"] = r["flagged"] / r["probed"] if r["probed"] else math.nan
            out[f"node_epochs_{b}"], out[f"slashes_{b}"] = float(r["count"]), float(r["slashed_count"])
            out[f"probed_{b}"], out[f"guilty_{b}"] = float(r["probed"]), float(r["flagged"])
        else:
            out.update({f"{k}_per_validator_{b}": r[k] / r["count"] for k in ("profit", "slashed")})
    return out


def attack_gain(row: dict[str, float], attacker: list[str]) -> float:
    """The attacker's profit per node-epoch over an honest node's in one run (a :func:`cell_row`):
    the profit of the ``attacker`` behaviours' node-epochs pooled, minus honest nodes'. NaN when
    either played no node-epoch (no evidence either way)."""
    epochs = [row.get(f"node_epochs_{b}", 0.0) for b in attacker]
    if sum(epochs) <= 0 or row.get("node_epochs_honest", 0.0) <= 0:
        return math.nan
    pooled = sum(row[f"profit_per_node_{b}"] * n for b, n in zip(attacker, epochs) if n > 0) / sum(epochs)
    return float(pooled - row["profit_per_node_honest"])


def gain_sums(row: dict[str, float], attacker: list[str], paired: bool = False) -> tuple[float, float, float, float]:
    """(the ``attacker`` behaviours' profit summed, their node-epochs, the reference's profit summed,
    its node-epochs) in one run (a :func:`cell_row`): what :func:`pooled_gain` pools over seeds.
    The reference is the honest nodes of the same run, or with ``paired`` the attacker's own
    operators serving honestly in the run's twin (:func:`paired_columns`; NaN without them)."""
    if paired:
        keys = ("paired_profit", "paired_epochs", "twin_profit", "twin_epochs")
        return tuple(float(sum(row.get(f"{k}_{b}", math.nan) for b in attacker)) for k in keys)  # type: ignore[return-value]
    epochs = [row.get(f"node_epochs_{b}", 0.0) for b in attacker]
    profit = sum(row[f"profit_per_node_{b}"] * n for b, n in zip(attacker, epochs) if n > 0)
    honest = row.get("node_epochs_honest", 0.0)
    return (
        float(profit),
        float(sum(epochs)),
        float(row["profit_per_node_honest"] * honest if honest > 0 else 0.0),
        float(honest),
    )


def paired_columns(nodes: pd.DataFrame, twin_nodes: pd.DataFrame) -> dict[str, float]:
    """Per cheating behaviour b (the operators that started as b, nodes.parquet ``behaviour_initial``):
    ``paired_profit_b`` and ``paired_epochs_b``, their profit and node-epochs played in this run, and
    ``twin_profit_b`` and ``twin_epochs_b``, the same node ids' in the run's twin, where they serve
    honestly (``attacks.twin_population``: same ids, stacks and traffic streams). Pairing each
    attacker with itself removes the stacks and traffic it drew from its gain (e035: a near-honest
    attack's spread per seed 0.76 -> 0.13 tokens per node-epoch)."""
    mine, twin = nodes[nodes["role"] == "node"], twin_nodes[twin_nodes["role"] == "node"].set_index("id")
    out: dict[str, float] = {}
    for b, g in mine.groupby("behaviour_initial"):
        if b == "honest":
            continue
        t = twin.loc[g["id"]]
        for key, column in (("profit", "profit"), ("epochs", "epochs_played"), *((k, k) for k in PARTS)):
            if column in g:  # revenue and cost from nodes.parquet files written since they were added
                out[f"paired_{key}_{b}"], out[f"twin_{key}_{b}"] = float(g[column].sum()), float(t[column].sum())
    return out


PARTS = ("revenue", "cost")  # what an attack's gain breaks down into, besides what it was slashed


def part_sums(row: dict[str, float], attacker: list[str], paired: bool = False) -> dict[str, tuple[float, float]]:
    """Per part of profit (:data:`PARTS`): (the ``attacker`` behaviours' total, the reference's) in one
    run, over the same node-epochs as :func:`gain_sums` (the honest nodes of the run, or with
    ``paired`` the attacker's operators in the twin); NaN where the row lacks them."""
    if paired:
        return {
            k: tuple(float(sum(row.get(f"{side}_{k}_{b}", math.nan) for b in attacker)) for side in ("paired", "twin"))
            for k in PARTS
        }  # type: ignore[misc]
    honest = row.get("node_epochs_honest", 0.0)
    out = {}
    for k in PARTS:
        mine = sum(
            row.get(f"{k}_per_node_{b}", math.nan) * row[f"node_epochs_{b}"]
            for b in attacker
            if row.get(f"node_epochs_{b}", 0.0) > 0
        )
        out[k] = (float(mine), float(row.get(f"{k}_per_node_honest", math.nan) * honest if honest > 0 else 0.0))
    return out


def gain_breakdown(sums, parts) -> dict[str, float]:
    """Where a pooled gain (:func:`pooled_gain` of ``sums``) comes from, per node-epoch over the
    reference, pooled the same way (ratio of sums): ``revenue`` (what the attacker earned more),
    ``cost`` (what it spent more: negative is what cheating saved) and ``slashed`` (what it lost
    more to slashing), so that gain = revenue - cost - slashed exactly. ``parts``: one
    :func:`part_sums` per run of ``sums``. Empty when any run lacks a part or played no node-epoch."""
    s = np.asarray(sums, float).reshape(-1, 4)
    na, nr = s[:, 1].sum(), s[:, 3].sum()
    if not len(parts) or len(parts) != len(s) or na <= 0 or nr <= 0:
        return {}
    out = {}
    for k in PARTS:
        a, r = np.asarray([p[k] for p in parts], float).T
        out[k] = float(a.sum() / na - r.sum() / nr)
    gain = s[:, 0].sum() / na - s[:, 2].sum() / nr
    out["slashed"] = out["revenue"] - out["cost"] - float(gain)
    return out if all(math.isfinite(v) for v in out.values()) else {}


def run_gain(sums: tuple[float, float, float, float]) -> float:
    """One run's gain from its :func:`gain_sums`: profit per node-epoch of the attacker over the
    reference's; NaN when either played no node-epoch."""
    pa, na, pr, nr = sums
    return float(pa / na - pr / nr) if na > 0 and nr > 0 else math.nan


def pooled_gain(sums, level: float = 0.95) -> tuple[float, float, float]:
    """(gain, low, high): the attacker's profit per node-epoch over an honest node's, pooled over
    independent runs (one :func:`gain_sums` per seed), with a t interval clustered by run.

    The gain is a ratio of sums, sum P_a / sum N_a - sum P_h / sum N_h: by the renewal-reward
    theorem (Ross, *Stochastic Processes*, 2nd ed., 1996, thm 3.6.1) it is the long-run profit per
    node-epoch of an operator who re-enters after each ejection, the rate an attacker weighs. The
    mean of per-run ratios (:func:`attack_gain` per seed) is not: a run whose attacker is ejected
    after one epoch loses its whole stake over one node-epoch and swamps the mean (e035: per-seed
    gains down to -133 tokens, sd 30). The interval linearises the ratio (delta method; Cochran,
    *Sampling Techniques*, 3rd ed., 1977, sec. 6.3-6.4): per run z_s = (P_as - R_a N_as) / mean N_a
    - (P_hs - R_h N_hs) / mean N_h, standard error sd(z) / sqrt(n), Student's t on n - 1 degrees
    of freedom. Attackers' lumpy losses skew the runs' gains to the left, which makes the upper
    end conservative (tests/test_outcomes.py measures its coverage). NaN and (-inf, inf) when a run
    has no attacker or no honest node-epoch; one run gives the gain and (-inf, inf) (no claim)."""
    from scipy import stats

    x = np.asarray(sums, float).reshape(-1, 4)
    n = len(x)
    if n < 1 or not np.isfinite(x).all() or (x[:, 1] <= 0).any() or (x[:, 3] <= 0).any():
        return math.nan, -math.inf, math.inf
    pa, na, ph, nh = x.T
    ra, rh = pa.sum() / na.sum(), ph.sum() / nh.sum()
    if n < 2:
        return float(ra - rh), -math.inf, math.inf
    z = (pa - ra * na) / na.mean() - (ph - rh * nh) / nh.mean()
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * z.std(ddof=1) / math.sqrt(n))
    gain = float(ra - rh)
    return gain, gain - half, gain + half


def slashed_per_run(sums, parts) -> np.ndarray:
    """What the attacker was slashed in each run (tokens, >= 0): its revenue - cost - profit, from
    one :func:`gain_sums` and one :func:`part_sums` per run (NaN where a run lacks its parts)."""
    s = np.asarray(sums, float).reshape(-1, 4)
    if len(parts) != len(s):
        return np.full(len(s), math.nan)
    unslashed = np.array([p["revenue"][0] - p["cost"][0] for p in parts], float)
    return np.maximum(unslashed - s[:, 0], 0.0)


#: How :func:`gain_upper_bound` splits its one-sided error (Bonferroni): the whole gain's t bound,
#: the bound of what the attacker made before its slashes, the bound of what it was slashed. Fixed
#: before any run (experiment e040, addendum 1): on synthetic lumpy runs an even split (1/2, 1/4,
#: 1/4) cut the t bound's power on attacks convicted often over 8 seeds from 0.58 to 0.34; this
#: split keeps 0.50, and the split bound's power on near-honest attacks did not change with it.
ERROR_SPLIT = (0.8, 0.1, 0.1)
#: Fewest runs from which :func:`gain_upper_bound` splits its error (fixed before the runs, so the
#: choice does not look at them). Below it the split cannot pay: at a few runs the t quantile
#: grows steeply as its share of the error shrinks (3 runs: recommend's test attack's bound -4.8 ->
#: +0.9), and the split bound decides only attacks convicted in some runs of many (e040, addendum 2).
#: A second look has at least 20 runs.
SPLIT_MIN_RUNS = 20


def made_upper_bound(sums, parts, alpha: float) -> float:
    """A one-sided upper bound, at error ``alpha``, of what the attacker gains before its own slashes
    (revenue - cost per node-epoch over the reference's profit, pooled as :func:`pooled_gain`):
    what it would gain if it were never convicted, so an upper bound of its gain whatever the
    detector does. inf without the parts or with fewer than two runs (no claim)."""
    s = np.asarray(sums, float).reshape(-1, 4)
    slashed = slashed_per_run(s, parts)
    if len(s) < 2 or not np.isfinite(slashed).all():
        return math.inf
    unslashed = s.copy()
    unslashed[:, 0] += slashed
    return pooled_gain(unslashed, 1.0 - 2 * alpha)[2]  # two-sided 1 - 2a: one-sided a above


def split_upper_bound(sums, parts, fine: float, capacity: float, alpha_made: float, alpha_slashed: float) -> float:
    """A one-sided upper bound, at error ``alpha_made`` + ``alpha_slashed`` (Bonferroni), of the pooled
    gain (:func:`pooled_gain`) that splits it into what the attacker made before its own slashes and
    what it was slashed, G = U - S with S >= 0 in every run, each part bounded on its own:

    - U, at ``alpha_made``: :func:`made_upper_bound`, the clustered t bound on the runs' sums with
      the attacker's own slashes added back (small and smooth when paired);
    - S, at ``alpha_slashed``: E[S_run] >= ``fine`` x P(S_run >= ``fine``) for a ``fine`` fixed
      before the runs (Markov's inequality; `redteam.fine_per_conviction`), P's lower bound exact
      binomial over the independent runs (Clopper & Pearson, Biometrika 26(4), 1934), over at most
      ``capacity`` attacker node-epochs per run (its node count, fixed by the scenario, x epochs).

    It needs no independence of convictions within a run and no model of their size (a run counts
    only if it lost a whole ``fine``), and it is far sharper than the t bound of the whole gain for
    an attack that saves little and is convicted in few runs: one fine of 1,190 in one run of 40,
    over 2 nodes x 60 epochs, widens that t bound by ~0.5 tokens per node-epoch (experiment e040).
    inf without the parts, a fine or a capacity, or with fewer than two runs (no claim)."""
    from scipy import stats

    s = np.asarray(sums, float).reshape(-1, 4)
    slashed = slashed_per_run(s, parts)
    if not (fine > 0 and capacity > 0):
        return math.inf
    made_high = made_upper_bound(s, parts, alpha_made)
    if not math.isfinite(made_high):
        return math.inf
    k, n = int((slashed >= fine * (1.0 - 1e-9)).sum()), len(s)
    p_low = float(stats.beta.ppf(alpha_slashed, k, n - k + 1)) if k > 0 else 0.0
    return float(made_high - fine * p_low / capacity)


def gain_upper_bound(sums, parts, fine: float, capacity: float, level: float) -> tuple[float, float]:
    """(the attacker's gain's one-sided upper bound at (1 + ``level``) / 2, the end of a two-sided
    ``level`` interval that ``gaia-sim recommend`` holds below zero; the bound of what it would
    gain if never convicted). The first is the smaller of the whole gain's clustered t bound
    (:func:`pooled_gain`) and :func:`split_upper_bound`, the one-sided error split between them by
    :data:`ERROR_SPLIT`; the second is :func:`made_upper_bound` at the split's share for it, so
    every claim made from the pair holds together at the one-sided error. Over fewer than
    :data:`SPLIT_MIN_RUNS` runs, or without the parts, a fine or a capacity: the t bound at the
    full error, as before the split existed, and inf."""
    if len(sums) < SPLIT_MIN_RUNS:
        return pooled_gain(sums, level)[2], math.inf
    alpha = (1.0 - level) / 2
    whole, made, slashed = (alpha * share for share in ERROR_SPLIT)
    split = split_upper_bound(sums, parts, fine, capacity, made, slashed)
    if not math.isfinite(split):
        return pooled_gain(sums, level)[2], math.inf
    return min(pooled_gain(sums, 1.0 - 2 * whole)[2], split), made_upper_bound(sums, parts, made)


def mean_interval(values, level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high): Student's t interval of the mean of independent replicates (one value
    per seed). One value, or any NaN: (mean, -inf, inf) (no interval without a spread)."""
    from scipy import stats

    x = np.asarray(values, float)
    if len(x) == 0 or np.isnan(x).any():
        return math.nan, -math.inf, math.inf
    mean = float(x.mean())
    if len(x) < 2:
        return mean, -math.inf, math.inf
    half = float(stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return mean, mean - half, mean + half


def rate_upper_bound(events: float, trials: float, level: float = 0.95) -> float:
    """One-sided Clopper-Pearson upper bound of a rate after ``events`` in ``trials`` (Clopper &
    Pearson, Biometrika 26(4), 1934); with no event it is 1 - (1 - level)^(1/n), about 3/n at 95%
    (the rule of three). 1 when there was no trial (pessimistic)."""
    from scipy import stats

    if trials <= 0:
        return 1.0
    if events >= trials:
        return 1.0
    return float(stats.beta.ppf(level, events + 1, trials - events))


def _early_rate_columns(result: Any, epochs: int = EARLY_EPOCHS) -> dict[str, float]:
    events = getattr(result, "events", None)
    if events is None or len(events) == 0 or "kind" not in events:
        return {}
    tpr, fpr = early_rates(result, epochs)
    return {"early_tpr_cheaters": tpr, "early_flag_rate_honest": fpr}


def _is_number(v: Any) -> bool:
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return not isinstance(v, (str, bytes))
