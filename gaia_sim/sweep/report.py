"""``gaia-sim report DIR``: summary tables and figures for a finished (or partial) sweep.

Writes ``DIR/report/``:

- ``summary.csv`` / ``summary.md``: per design point, mean, standard deviation, replicate count and a
  95% confidence half-width (Student t) of each reported metric;
- ``sobol.csv`` / ``sobol.md`` and ``sobol_<metric>.png|html`` when the sweep used ``mode = "sobol"``;
- per reported metric, a figure as PNG (matplotlib) and interactive HTML (plotly): a phase diagram
  (heat map over the two report axes, other axes averaged) for grids, a scatter for sampled designs,
  a line with confidence band for one axis;
- ``prim.json`` / ``prim.png`` with ``discover`` (or ``[report] discover = true``): the PRIM boxes
  where cheating pays (:mod:`gaia_sim.sweep.discovery`);
- ``index.md`` listing everything.

Figure functions are pure: data frame in, figure out; writing is atomic.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from gaia_sim.errors import UserError
from gaia_sim.sweep.store import atomic_text, atomic_write, read_results

DEFAULT_METRICS = (
    "final_honest_share",
    "mean_honest_share_last_10pct",
    "honest_share_change",
    "tpr_cheaters",
    "flag_rate_honest",
    "wrongly_slashed_total",
)
META = {"point", "replicate", "seed", "scenario_hash", "cell_wall_s", "cell_cpu_s"}
#: the report's folder in a sweep directory
REPORT_DIR = "report"
Boundary = Sequence[tuple[float, float]]


def write_report(
    root: str | Path,
    metrics: Sequence[str] | None = None,
    x: str | None = None,
    y: str | None = None,
    boundary: Boundary | None = None,
    discover: bool | None = None,
) -> Path:
    """Write the report of sweep directory ``root``; returns the report directory. ``discover``:
    also the PRIM boxes where cheating pays (default: the sweep file's ``[report] discover``)."""
    root = Path(root)
    if not (root / "results.parquet").is_file() or not (root / "manifest.json").is_file():
        raise UserError(
            f"{root}: not a sweep directory (needs results.parquet and manifest.json); run `gaia-sim sweep FILE` first"
        )
    frame, manifest = read_results(root)
    if frame.empty:
        raise UserError(f"{root}: the sweep has no finished cells yet")
    out = root / REPORT_DIR
    axes = [a["path"] for a in manifest["axes"]]
    metrics = _metrics(frame, manifest, axes, metrics)
    table = summarize(frame, axes, metrics)
    written = [_table(out, "summary", table)]
    written += _sobol(out, root, manifest)
    written += _figures(out, frame, manifest, axes, metrics, x, y, boundary)
    boxes = ""
    if discover or (discover is None and manifest.get("report", {}).get("discover")):
        from gaia_sim.sweep.discovery import PRIM_JSON, write_discovery

        written += write_discovery(out, frame, axes, source=str(root))
        boxes = _boxes_md(out / PRIM_JSON)
    atomic_text(out / "index.md", _index(manifest, frame, written) + boxes)
    return out


def _metrics(frame, manifest, axes, wanted) -> list[str]:
    available = [
        c
        for c in frame.columns
        if c not in META and c not in axes and not c.startswith("missing:") and pd.api.types.is_numeric_dtype(frame[c])
    ]
    wanted = list(wanted or manifest.get("report", {}).get("metrics") or [])
    unknown = [m for m in wanted if m not in available]
    if unknown:
        raise UserError(f"report metrics {unknown}: not in the sweep results; available: {', '.join(available)}")
    return wanted or [m for m in DEFAULT_METRICS if m in available] or available[:4]


def summarize(frame: pd.DataFrame, axes: Sequence[str], metrics: Sequence[str]) -> pd.DataFrame:
    """Per design point: axis values, n, and mean / sd / ci95 of each metric over replicates."""
    from scipy import stats

    keys = ["point", *axes]
    grouped = frame.groupby(keys, sort=True, dropna=False)[list(metrics)]
    mean, sd, n = grouped.mean(), grouped.std(ddof=1), grouped.count()
    t = stats.t.ppf(0.975, np.maximum(n - 1, 1))
    half = pd.DataFrame(np.where(n > 1, t * sd / np.sqrt(n), np.nan), index=mean.index, columns=mean.columns)
    parts = {"mean": mean, "sd": sd, "ci95": half}
    out = pd.concat({f"{m}_{k}": v[m] for m in metrics for k, v in parts.items()}, axis=1)
    out.insert(0, "n", n[metrics[0]] if metrics else 0)
    return out.reset_index()


def to_markdown(frame: pd.DataFrame, digits: int = 4) -> str:
    """A GitHub-flavoured markdown table (no extra dependency)."""
    cells = frame.map(lambda v: f"{v:.{digits}g}" if isinstance(v, (float, np.floating)) else str(v))
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(row) + " |" for row in cells.to_numpy().tolist()]
    return "\n".join(lines) + "\n"


def _table(out: Path, name: str, table: pd.DataFrame) -> Path:
    atomic_write(out / f"{name}.csv", lambda tmp: table.to_csv(tmp, index=False))
    return atomic_text(out / f"{name}.md", to_markdown(table))


def _sobol(out: Path, root: Path, manifest: dict) -> list[Path]:
    if not manifest.get("sobol"):
        return []
    table = pd.DataFrame(manifest["sobol"])
    written = [_table(out, "sobol", table)]
    for metric, part in table.groupby("metric", sort=False):
        written += save_figure(out, f"sobol_{metric}", *fig_sobol(part, metric))
    return written


def _figures(out, frame, manifest, axes, metrics, x, y, boundary) -> list[Path]:
    x, y = _report_axes(frame, manifest, axes, x, y)
    written: list[Path] = []
    for metric in metrics:
        if y is None:
            figs = fig_line(frame, x, metric)
        elif manifest["mode"] in ("grid", "zip") or not _numeric(frame, x, y):
            figs = fig_phase(frame, x, y, metric, boundary)
        else:
            figs = fig_scatter(frame, x, y, metric, boundary)
        written += save_figure(out, f"{'phase' if y else 'line'}_{metric}", *figs)
    return written


def _numeric(frame: pd.DataFrame, *columns: str) -> bool:
    return all(pd.api.types.is_numeric_dtype(frame[c]) for c in columns)


def _report_axes(frame, manifest, axes, x, y) -> tuple[str, str | None]:
    hints = manifest.get("report", {})
    x, y = x or hints.get("x"), y or hints.get("y")
    for name in (x, y):
        if name is not None and name not in axes:
            raise UserError(f"report axis {name!r}: not an axis of this sweep; axes: {', '.join(axes)}")
    varying = [a for a in axes if frame[a].nunique() > 1] or axes
    x = x or varying[0]
    y = y or next((a for a in varying if a != x), None)
    return x, y


def _grid(frame: pd.DataFrame, x: str, y: str, metric: str) -> pd.DataFrame:
    """Mean of ``metric`` per (y, x) cell, other axes and replicates averaged; rows y, columns x."""
    return frame.groupby([y, x])[metric].mean().unstack(x).sort_index().sort_index(axis=1)


def fig_phase(frame: pd.DataFrame, x: str, y: str, metric: str, boundary: Boundary | None = None):
    """Phase diagram: heat map of mean ``metric`` over (x, y); optional boundary curve in data units."""
    import plotly.graph_objects as go

    grid = _grid(frame, x, y, metric)
    xs, ys = [_fmt(v) for v in grid.columns], [_fmt(v) for v in grid.index]
    png = _mpl_heatmap(grid, x, y, metric, boundary)
    html = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(),
            x=xs,
            y=ys,
            colorscale="Viridis",
            colorbar={"title": metric},
            hovertemplate=f"{x}=%{{x}}<br>{y}=%{{y}}<br>{metric}=%{{z:.3f}}<extra></extra>",
        )
    )
    if boundary:
        bx, by = _boundary_in_index(grid, boundary)
        html.add_trace(
            go.Scatter(
                x=bx,
                y=by,
                mode="lines",
                line={"color": "red", "dash": "dash"},
                name="analytic boundary",
                xaxis="x2",
                yaxis="y2",
            )
        )
        html.update_layout(
            xaxis2={"overlaying": "x", "visible": False, "range": [-0.5, len(xs) - 0.5]},
            yaxis2={"overlaying": "y", "visible": False, "range": [-0.5, len(ys) - 0.5]},
        )
    html.update_layout(title=f"{metric} over {x} x {y}", xaxis_title=x, yaxis_title=y)
    return png, html


def _boundary_in_index(grid: pd.DataFrame, boundary: Boundary) -> tuple[np.ndarray, np.ndarray]:
    """Map boundary points in data units onto the heat map's cell-index coordinates (interpolated)."""
    pts = np.asarray(boundary, dtype=float)
    xs, ys = np.asarray(grid.columns, dtype=float), np.asarray(grid.index, dtype=float)
    return np.interp(pts[:, 0], xs, np.arange(len(xs))), np.interp(pts[:, 1], ys, np.arange(len(ys)))


def _mpl_heatmap(grid: pd.DataFrame, x: str, y: str, metric: str, boundary: Boundary | None):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.8), layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(grid.to_numpy(dtype=float), origin="lower", aspect="auto", cmap="viridis")
    fig.colorbar(image, ax=ax, label=metric)
    ax.set_xticks(range(len(grid.columns)), [_fmt(v) for v in grid.columns], rotation=45)
    ax.set_yticks(range(len(grid.index)), [_fmt(v) for v in grid.index])
    _annotate(ax, grid)
    if boundary:
        bx, by = _boundary_in_index(grid, boundary)
        ax.plot(bx, by, "r--", lw=2, label="analytic boundary")
        ax.legend(loc="upper left", fontsize=8)
    ax.set(xlabel=x, ylabel=y, title=f"{metric}")
    return fig


def _annotate(ax, grid: pd.DataFrame) -> None:
    if grid.size > 144:
        return
    z = grid.to_numpy(dtype=float)
    lo, hi = np.nanmin(z), np.nanmax(z)
    for (i, j), v in np.ndenumerate(z):
        if np.isfinite(v):
            dark = (v - lo) / (hi - lo) < 0.5 if hi > lo else True
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7, color="w" if dark else "k")


def fig_scatter(frame: pd.DataFrame, x: str, y: str, metric: str, boundary: Boundary | None = None):
    """Sampled designs: each design point at (x, y), coloured by mean ``metric``."""
    import plotly.express as px
    from matplotlib.figure import Figure

    means = frame.groupby("point")[[x, y, metric]].mean()
    fig = Figure(figsize=(6.4, 4.8), layout="constrained")
    ax = fig.add_subplot()
    sc = ax.scatter(means[x], means[y], c=means[metric], cmap="viridis", s=30)
    fig.colorbar(sc, ax=ax, label=metric)
    html = px.scatter(means, x=x, y=y, color=metric, color_continuous_scale="Viridis")
    if boundary:
        pts = np.asarray(boundary, dtype=float)
        ax.plot(pts[:, 0], pts[:, 1], "r--", lw=2, label="analytic boundary")
        html.add_scatter(x=pts[:, 0], y=pts[:, 1], mode="lines", name="analytic boundary")
    ax.set(xlabel=x, ylabel=y, title=metric)
    return fig, html


def fig_line(frame: pd.DataFrame, x: str, metric: str):
    """One axis: mean ``metric`` with a 95% band over replicates."""
    import plotly.graph_objects as go
    from matplotlib.figure import Figure

    table = summarize(frame, [x], [metric]).groupby(x)[[f"{metric}_mean", f"{metric}_ci95"]].mean()
    xs, m, h = table.index.to_numpy(), table.iloc[:, 0].to_numpy(), np.nan_to_num(table.iloc[:, 1].to_numpy())
    fig = Figure(figsize=(6.4, 4.0), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(xs, m, "o-")
    ax.fill_between(xs, m - h, m + h, alpha=0.25)
    ax.set(xlabel=x, ylabel=metric, title=metric)
    html = go.Figure(go.Scatter(x=xs, y=m, error_y={"type": "data", "array": h}, mode="lines+markers"))
    html.update_layout(xaxis_title=x, yaxis_title=metric)
    return fig, html


def fig_sobol(table: pd.DataFrame, metric: str):
    """Bar chart of first-order and total Sobol indices with confidence intervals."""
    import plotly.graph_objects as go
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.0), layout="constrained")
    ax = fig.add_subplot()
    pos = np.arange(len(table))
    ax.bar(pos - 0.2, table["S1"], 0.4, yerr=table["S1_conf"], label="S1 (first order)")
    ax.bar(pos + 0.2, table["ST"], 0.4, yerr=table["ST_conf"], label="ST (total)")
    ax.set_xticks(pos, table["parameter"], rotation=20)
    ax.set(title=f"Sobol indices of {metric}")
    ax.legend()
    html = go.Figure(
        [go.Bar(name=k, x=table["parameter"], y=table[k], error_y={"array": table[f"{k}_conf"]}) for k in ("S1", "ST")]
    )
    return fig, html


def save_figure(out: Path, stem: str, png_fig, html_fig) -> list[Path]:
    """``stem.png`` (matplotlib) and ``stem.html`` (plotly, sharing one local plotly.min.js)."""
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem)
    png = atomic_write(out / f"{stem}.png", lambda tmp: png_fig.savefig(tmp, format="png", dpi=110))
    _plotly_js(out)
    html = atomic_text(out / f"{stem}.html", html_fig.to_html(include_plotlyjs="directory", full_html=True))
    return [png, html]


def _plotly_js(out: Path) -> None:
    target = out / "plotly.min.js"
    if not target.exists():
        from plotly.offline import get_plotlyjs

        atomic_text(target, get_plotlyjs())


def _fmt(v: Any) -> str:
    """Tick label: 3 significant digits, or ``k=v`` pairs (non-zero) for a table-valued axis."""
    if isinstance(v, (float, np.floating)):
        return f"{v:.3g}"
    if isinstance(v, str) and v.startswith("{"):
        try:
            return " ".join(
                f"{k}={x:g}" if isinstance(x, (int, float)) else f"{k}={x}" for k, x in json.loads(v).items() if x != 0
            )
        except (ValueError, TypeError):
            return v
    return str(v)


def _index(manifest: dict, frame: pd.DataFrame, written: list[Path]) -> str:
    lines = [
        f"# Sweep report: {manifest['name']}",
        "",
        f"- mode: {manifest['mode']}, points: {manifest['n_points']}, replications: {manifest['replications']}",
        f"- rows: {len(frame)} of {manifest['n_cells']} cells"
        f"{'' if manifest.get('complete') else ' (INCOMPLETE: rerun the sweep to finish it)'}",
        f"- base scenario: {manifest['base_scenario']}",
        f"- axes: {json.dumps(manifest['axes'])}",
        "",
        "## Files",
        "",
    ]
    lines += [f"- [{p.name}]({p.name})" for p in written]
    return "\n".join(lines) + "\n"


def _boxes_md(path: Path) -> str:
    from gaia_sim.sweep.discovery import box_line, read_discovery

    doc = read_discovery(path)
    lines = ["", f"## Where cheating pays (PRIM, {doc['cells_where_cheating_pays']} of {doc['cells']} cells)", ""]
    lines += [f"- {box_line(b)}" for b in doc["boxes"]]
    return "\n".join(lines) + "\n"


def boundary_from_function(fn: Callable[[float], float], xs: Sequence[float]) -> list[tuple[float, float]]:
    """Sample an analytic boundary ``y = fn(x)`` at ``xs`` (for :func:`write_report`'s ``boundary``)."""
    return [(float(x), float(fn(x))) for x in xs]
