"""Scenario discovery: where in a sweep's design space does cheating pay?

PRIM, the patient rule induction method (Friedman & Fisher, "Bump hunting in high-dimensional
data", Statistics and Computing 9, 1999), as scenario discovery uses it (Bryant & Lempert,
"Thinking inside the box", Technological Forecasting & Social Change 77, 2010): peel the design
space, a few percent of the points at a time, towards the cells where cheating pays, and report
boxes (a low and high limit per restricted parameter) with their coverage, density and mass
(:data:`TERMS`).

The algorithm is EMA Workbench's (``ema_workbench.analysis.prim``, Kwakkel, Environmental Modelling
& Software 96, 2017); this module defines the outcome, picks each box on PRIM's peeling trajectory
(the largest coverage with density at least ``min_density``), and writes ``prim.json`` and
``prim.png`` next to a sweep's report (:func:`write_discovery`); :func:`read_discovery` reads
``prim.json`` back, checked (the report's index and the dashboard's Sweep page).

**Cheating pays** in a cell (:func:`cheating_pays`) when the cheating behaviours' pooled profit per
node-epoch exceeds honest nodes' (:func:`gaia_sim.outcomes.attack_gain` > 0) **or** the honest share
fell over the run (``honest_share_change < 0``). Missing evidence counts as paying (pessimistic):
a cell with no cheater or no honest node-epoch, or no honest-share trajectory.
"""

from __future__ import annotations

import json
import logging
import math
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from gaia_sim.errors import UserError

OUTCOME = "cheating_pays"
DEFINITION = (
    "cheaters' pooled profit per node-epoch > honest nodes' (outcomes.attack_gain > 0) or the honest "
    "share fell over the run (honest_share_change < 0); no cheater or honest node-epoch, or no "
    "trajectory: pays (pessimistic)"
)
MIN_ROWS = 20  # fewer cells cannot support a box (PRIM peels 5% at a time, mass at least 5%)
MIN_DENSITY = 0.8
MASS_MIN = 0.05
PEEL_ALPHA = 0.05
MAX_BOXES = 3
BOX_COLOURS = ("tab:green", "tab:orange", "tab:purple", "tab:brown")
PRIM_JSON = "prim.json"
#: what a box's statistics mean (the report's and the dashboard's words)
TERMS = {
    "coverage": "share of all the cells where cheating pays that fall in the box",
    "density": "share of the box's cells where cheating pays",
    "mass": "share of all cells in the box",
}
#: keys of prim.json (:func:`discovery_json`) and of each of its boxes that :func:`read_discovery` checks
JSON_KEYS = (
    "outcome",
    "definition",
    "cells",
    "cells_where_cheating_pays",
    "base_rate",
    "parameters",
    "inputs",
    "boxes",
)
BOX_KEYS = ("id", "limits", "coverage", "density", "mass", "n", "k", "meets_density")


@dataclass(frozen=True)
class Box:
    """One PRIM box: ``limits`` {parameter: (low, high)} of the restricted parameters only (a
    categorical parameter: the sorted list of values kept), and its statistics."""

    limits: dict[str, tuple]
    coverage: float
    density: float
    mass: float
    n: int  # cells in the box
    k: int  # cells in the box where cheating pays
    quasi_p: dict[str, float]  # one-sided binomial quasi-p per restriction (Bryant & Lempert 2010)
    meets_density: bool  # density >= min_density (else the densest box PRIM found)

    def as_dict(self) -> dict:
        out = asdict(self)
        out["limits"] = {k: _limit_json(v) for k, v in self.limits.items()}
        return out


def cheating_pays(frame: pd.DataFrame) -> pd.Series:
    """The outcome, one bool per cell (a sweep results row; see the module docstring)."""
    from gaia_sim.nodes import with_trait
    from gaia_sim.outcomes import attack_gain

    cheaters = list(with_trait("cheats"))
    rows = frame.to_dict("records")
    present = [[b for b in cheaters if _num(r.get(f"node_epochs_{b}")) > 0] for r in rows]
    gain = np.array([attack_gain(r, who) if who else math.nan for r, who in zip(rows, present)])
    change = pd.to_numeric(frame.get("honest_share_change", pd.Series(np.nan, index=frame.index)), errors="coerce")
    pays = np.isnan(gain) | (gain > 0) | change.isna().to_numpy() | (change.to_numpy() < 0)
    return pd.Series(pays, index=frame.index, name=OUTCOME)


def _num(v) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if math.isnan(x) else x


def inputs(frame: pd.DataFrame, axes: Sequence[str]) -> pd.DataFrame:
    """PRIM's inputs: the swept axes, numeric ones as floats (an integer axis's limits fall on or
    between its values); a table-valued axis such as ``population`` (JSON strings) becomes one numeric column
    per key that varies (``population.lazy``; a mix's ``honest`` share, one minus the others, is
    dropped); other non-numeric axes stay categorical. Axes that do
    not vary are dropped."""
    cols: dict[str, pd.Series] = {}
    for a in axes:
        s = frame[a]
        if pd.api.types.is_numeric_dtype(s):
            cols[a] = s.astype(float)  # integers too: EMA 2.5.3's pasting of int columns fails under pandas 3
            continue
        tables = _json_tables(s)
        if tables is None:
            cols[a] = s.astype(str)
            continue
        keys = sorted({k for t in tables for k in t})
        part = pd.DataFrame([[float(t.get(k, 0.0)) for k in keys] for t in tables], columns=keys, index=frame.index)
        if "honest" in keys and len(keys) > 1 and part.sum(axis=1).nunique() == 1:
            part = part.drop(columns="honest")  # a mix sums to 1: the honest share repeats the others
        cols.update({f"{a}.{k}": part[k] for k in part.columns})
    x = pd.DataFrame(cols, index=frame.index)
    return x.loc[:, x.nunique() > 1]


def _json_tables(s: pd.Series) -> list[dict] | None:
    try:
        tables = [json.loads(v) for v in s]
    except (TypeError, ValueError):
        return None
    ok = all(isinstance(t, dict) and all(isinstance(v, (int, float)) for v in t.values()) for t in tables)
    return tables if ok else None


def discover(
    x: pd.DataFrame,
    y,
    min_density: float = MIN_DENSITY,
    max_boxes: int = MAX_BOXES,
    mass_min: float = MASS_MIN,
    peel_alpha: float = PEEL_ALPHA,
    source: str = "the sweep",
) -> list[Box]:
    """PRIM boxes of the cells where ``y`` is true, best first (at most ``max_boxes``; each later box
    is found among the cells outside the earlier ones). Raises :class:`UserError` with too few cells,
    no input that varies, or no cell where cheating pays. Every cell paying: one unrestricted box."""
    y = np.asarray(y, dtype=bool)
    x = x.reset_index(drop=True)
    x = x.astype({c: float for c in x.columns if pd.api.types.is_numeric_dtype(x[c])})  # see inputs()
    _check(x, y, source)
    if y.all():
        return [Box({}, 1.0, 1.0, 1.0, len(y), len(y), {}, True)]
    prim = _prim(x, y, min_density, mass_min, peel_alpha)
    boxes: list[Box] = []
    for _ in range(max_boxes):
        box = _next_box(prim, min_density)
        if box is None:
            break
        boxes.append(box)
        if not box.meets_density:
            break
    return boxes


def _check(x: pd.DataFrame, y: np.ndarray, source: str) -> None:
    if len(y) != len(x):
        raise ValueError(f"discover: {len(x)} input rows but {len(y)} outcomes")
    if len(y) < MIN_ROWS:
        raise UserError(
            f"{source}: scenario discovery needs at least {MIN_ROWS} finished cells, got {len(y)}; "
            "raise [sweep] samples (or replications) and rerun the sweep"
        )
    if not y.any():
        raise UserError(
            f"{source}: cheating pays in none of the {len(y)} cells ({DEFINITION}); nothing to discover: "
            "widen the axes towards weaker designs (lower stake or slash fraction, fewer questions)"
        )
    if x.shape[1] == 0:
        raise UserError(f"{source}: no swept parameter varies across the cells; nothing to discover")


def _prim(x: pd.DataFrame, y: np.ndarray, min_density: float, mass_min: float, peel_alpha: float):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "ipyparallel not installed": a part of EMA we do not use
        from ema_workbench.analysis import prim

    logging.getLogger("EMA").setLevel(logging.WARNING)
    return prim.Prim(
        x, y.astype(int), threshold=min_density, mass_min=mass_min, peel_alpha=peel_alpha, paste_alpha=peel_alpha
    )


def _next_box(prim, min_density: float) -> Box | None:
    """Find PRIM's next box, select the point on its peeling trajectory with the largest coverage at
    density >= ``min_density`` (else the densest), and describe it; None when nothing is left."""
    remaining = len(getattr(prim, "yi_remaining", prim.yi))
    if remaining == 0 or prim.determine_coi(prim.yi_remaining) == 0:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        box = prim.find_box()
    if box is None:
        return None
    traj = box.peeling_trajectory
    ok = traj[traj["density"] >= min_density - 1e-12]
    i = (
        int(ok.sort_values(["coverage", "density"], ascending=False).index[0])
        if len(ok)
        else int(traj["density"].idxmax())
    )
    if traj.loc[i, "k"] == 0 or traj.loc[i, "res_dim"] == 0 and len(ok) == 0:
        return None
    box.select(i)
    return _describe(prim, box, i, len(ok) > 0)


def _describe(prim, box, i: int, meets: bool) -> Box:
    from ema_workbench.analysis import scenario_discovery_util as sdutil

    lim = box.box_lims[i]
    restricted = list(sdutil._determine_restricted_dims(lim, prim.box_init))
    limits = {str(c): _limit(lim[c]) for c in restricted}
    qp = {str(c): float(np.nanmax(v)) for c, v in box.qp[i].items()}
    t = box.peeling_trajectory.loc[i]
    return Box(
        limits=limits,
        coverage=float(t["coverage"]),
        density=float(t["density"]),
        mass=float(t["mass"]),
        n=int(t["n"]),
        k=int(t["k"]),
        quasi_p=qp,
        meets_density=meets,
    )


def _limit(column: pd.Series) -> tuple:
    lo, hi = column.iloc[0], column.iloc[1]
    if isinstance(lo, (set, frozenset)):
        return tuple(sorted(map(str, lo)))
    return (float(lo), float(hi))


def _limit_json(v: tuple) -> dict | list:
    if len(v) == 2 and all(isinstance(e, float) for e in v):
        return {"low": v[0], "high": v[1]}
    return list(v)


def in_box(x: pd.DataFrame, box: Box) -> np.ndarray:
    """Which rows of ``x`` lie inside ``box`` (limits inclusive)."""
    inside = np.ones(len(x), dtype=bool)
    for name, lim in box.limits.items():
        v = x[name]
        if len(lim) == 2 and all(isinstance(e, float) for e in lim):
            inside &= ((v >= lim[0]) & (v <= lim[1])).to_numpy()
        else:
            inside &= v.astype(str).isin(lim).to_numpy()
    return inside


# ---- what the report writes ----------------------------------------------------------------------


def write_discovery(out: Path, frame: pd.DataFrame, axes: Sequence[str], source: str) -> list[Path]:
    """``out/prim.json`` (format: docs/sweeps.md, "Scenario discovery") and ``out/prim.png``."""
    from gaia_sim.sweep.store import atomic_text, atomic_write

    x, y = inputs(frame, axes), cheating_pays(frame).to_numpy()
    boxes = discover(x, y, source=source)
    doc = discovery_json(x, y, boxes)
    written = [atomic_text(out / PRIM_JSON, json.dumps(doc, indent=2) + "\n")]
    fig = fig_prim(x, y, boxes)
    written.append(atomic_write(out / "prim.png", lambda tmp: fig.savefig(tmp, format="png", dpi=110)))
    return written


def discovery_json(x: pd.DataFrame, y: np.ndarray, boxes: Sequence[Box]) -> dict:
    """What ``prim.json`` holds: the outcome, its base rate, the inputs' ranges and the boxes."""
    return {
        "method": "PRIM (Friedman & Fisher 1999) via ema_workbench.analysis.prim",
        "outcome": OUTCOME,
        "definition": DEFINITION,
        "cells": int(len(y)),
        "cells_where_cheating_pays": int(np.sum(y)),
        "base_rate": float(np.mean(y)),
        "parameters": {
            "min_density": MIN_DENSITY,
            "mass_min": MASS_MIN,
            "peel_alpha": PEEL_ALPHA,
            "max_boxes": MAX_BOXES,
        },
        "inputs": input_ranges(x),
        "boxes": [{"id": i + 1, **b.as_dict()} for i, b in enumerate(boxes)],
    }


def input_ranges(x: pd.DataFrame) -> dict:
    """prim.json's ``inputs``: ``{"low", "high"}`` of each numeric input, the sorted values of the others."""
    ranges = {}
    for c in x.columns:
        if pd.api.types.is_numeric_dtype(x[c]):
            ranges[c] = {"low": float(x[c].min()), "high": float(x[c].max())}
        else:
            ranges[c] = sorted(map(str, x[c].unique()))
    return ranges


def read_discovery(path: str | Path) -> dict:
    """``prim.json`` as :func:`write_discovery` writes it, checked: the keys :data:`JSON_KEYS`, each box
    with :data:`BOX_KEYS`, limits and input ranges as ``{"low", "high"}`` or a list of values, the box
    statistics and ``parameters.min_density`` numbers. Raises :class:`UserError` naming the file and
    what is wrong."""
    path = Path(path)
    again = "rerun `gaia-sim report DIR --discover` to write it again"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise UserError(f"{path}: not a readable scenario discovery ({err}); {again}") from None
    problem = _json_problem(doc)
    if problem:
        raise UserError(
            f"{path}: not a scenario discovery as `gaia-sim report --discover` writes it: {problem}; {again}"
        )
    return doc


def _json_problem(doc) -> str | None:
    if not isinstance(doc, dict):
        return "expected a JSON object"
    missing = [k for k in JSON_KEYS if k not in doc]
    if missing:
        return f"missing {', '.join(missing)}"
    if not (isinstance(doc["inputs"], dict) and all(_is_limit(v) for v in doc["inputs"].values())):
        return "'inputs' must map each parameter to {low, high} or a list of values"
    if not (isinstance(doc["parameters"], dict) and _is_number(doc["parameters"].get("min_density"))):
        return "'parameters' must hold min_density, a number"
    if not all(_is_number(doc[k]) for k in ("cells", "cells_where_cheating_pays", "base_rate")):
        return "cells, cells_where_cheating_pays and base_rate must be numbers"
    if not isinstance(doc["boxes"], list):
        return "'boxes' must be a list"
    return next((f"boxes[{i}]: {p}" for i, b in enumerate(doc["boxes"]) if (p := _box_problem(b))), None)


def _box_problem(box) -> str | None:
    if not isinstance(box, dict):
        return "not an object"
    missing = [k for k in BOX_KEYS if k not in box]
    if missing:
        return f"missing {', '.join(missing)}"
    if not (isinstance(box["limits"], dict) and all(_is_limit(v) for v in box["limits"].values())):
        return "'limits' must map each parameter to {low, high} or a list of values"
    if not all(_is_number(box[k]) for k in ("coverage", "density", "mass", "n", "k")):
        return "coverage, density, mass, n and k must be numbers"
    return None


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_limit(v) -> bool:
    if isinstance(v, dict):
        return set(v) == {"low", "high"} and all(_is_number(e) for e in v.values())
    return isinstance(v, list)


def limit_text(name: str, limit: dict | list) -> str:
    """One restriction as prim.json holds it: ``0.5 <= name <= 4.5``, or ``name in {a, b}``."""
    if isinstance(limit, dict):
        return f"{limit['low']:.3g} <= {name} <= {limit['high']:.3g}"
    return f"{name} in {{{', '.join(map(str, limit))}}}"


def box_line(box: dict) -> str:
    """One box as prim.json holds it, in one line (the terminal, index.md)."""
    lims = "; ".join(limit_text(k, v) for k, v in box["limits"].items())
    return (
        f"box {box['id']}: {lims or 'everywhere'} "
        f"(coverage {box['coverage']:.2f}, density {box['density']:.2f}, mass {box['mass']:.2f})"
    )


def box_text(boxes: Sequence[Box]) -> str:
    """One line per box (:func:`box_line`), for the terminal and index.md."""
    return "\n".join(box_line({"id": i, **b.as_dict()}) for i, b in enumerate(boxes, 1))


def plot_dims(ranges: dict, limits: dict) -> list[str]:
    """The two numeric inputs to draw, in prim.json's forms (``inputs`` and the first box's ``limits``):
    the first box's most restricted ones (the largest share of the input's range cut off), then the others."""
    numeric = [c for c, r in ranges.items() if isinstance(r, dict)]

    def squeeze(c: str) -> float:
        lim = limits.get(c)
        span = float(ranges[c]["high"] - ranges[c]["low"]) or 1.0
        return 1.0 - (lim["high"] - lim["low"]) / span if isinstance(lim, dict) else -1.0

    return sorted(numeric, key=squeeze, reverse=True)[:2]


def fig_prim(x: pd.DataFrame, y: np.ndarray, boxes: Sequence[Box]):
    """Left: the cells over the two most restricted inputs, coloured by the outcome, with each box's
    limits in those inputs (its other limits in the legend). Right: the box statistics."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    fig = Figure(figsize=(10, 4.8), layout="constrained")
    ax, bx = fig.subplots(1, 2, width_ratios=[1.6, 1])
    dims = plot_dims(input_ranges(x), boxes[0].as_dict()["limits"] if boxes else {})
    if len(dims) == 2:
        a, b = dims
        xa, xb = _jitter(x[a]), _jitter(x[b])
        ax.scatter(xa[~y], xb[~y], s=18, c="tab:blue", label="cheating does not pay")
        ax.scatter(xa[y], xb[y], s=18, c="tab:red", marker="x", label="cheating pays")
        for i, box in enumerate(boxes, 1):
            (x0, x1), (y0, y1) = (_span(x, box, d) for d in (a, b))
            other = [k for k in box.limits if k not in dims]
            ax.add_patch(
                Rectangle(
                    (x0, y0),
                    x1 - x0,
                    y1 - y0,
                    fill=False,
                    lw=2,
                    ec=BOX_COLOURS[(i - 1) % len(BOX_COLOURS)],
                    label=f"box {i}" + (f" (also limits {', '.join(other)})" if other else ""),
                )
            )
        ax.set(xlabel=a, ylabel=b, title="cells and PRIM boxes")
        ax.legend(fontsize=7, loc="best")
    else:
        ax.set_axis_off()
    _box_table(bx, boxes)
    return fig


def _jitter(v: pd.Series) -> np.ndarray:
    """A few distinct values (integer axes, population levels): spread the points a little around
    each value so that they do not hide one another (seeded: same figure every time)."""
    vals = v.to_numpy(dtype=float)
    levels = np.unique(vals)
    if len(levels) > 12 or len(levels) < 2:
        return vals
    step = float(np.min(np.diff(levels)))
    return vals + np.random.default_rng(0).uniform(-0.2, 0.2, len(vals)) * step


def _span(x: pd.DataFrame, box: Box, dim: str) -> tuple[float, float]:
    lim = box.limits.get(dim)
    return (float(lim[0]), float(lim[1])) if lim else (float(x[dim].min()), float(x[dim].max()))


def _box_table(ax, boxes: Sequence[Box]) -> None:
    ax.set_axis_off()
    text = box_text(boxes).replace("; ", "\n    ").replace(" (coverage", "\n    (coverage")
    ax.text(0.0, 1.0, text or "no box", va="top", ha="left", family="monospace", fontsize=8, transform=ax.transAxes)
    ax.set_title("boxes where cheating pays")
