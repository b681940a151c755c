"""Pure figure functions: ``fig_*(df, ...) -> plotly.graph_objects.Figure``.

Every function takes tidy DataFrames in the results schema of docs/architecture.md (steps, events, nodes,
a sweep dataset) or a small frame prepared by :mod:`dashboard.data`, and returns a Figure. They do no
I/O, hold no state and never import Dash, so they are tested without a server
(tests/test_dashboard_figures.py). An empty frame gives an empty figure with a note, never an error:
the dashboard redraws while a run is still filling its frames.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

#: fixed colours so a behaviour has the same colour on every page
BEHAVIOUR_COLOURS = {
    "honest": "#2ca02c",
    "lazy": "#ff7f0e",
    "colluding": "#d62728",
    "model_swapping": "#9467bd",
    "kb_swapping": "#8c564b",
}
_EXTRA_COLOURS = ["#1f77b4", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


def _template() -> go.layout.Template:
    """plotly_white with the legend in a row under the plot (never over it on a narrow screen) and
    slightly smaller titles, so the figures stay readable from 420 px to full width."""
    import plotly.io as pio

    template = go.layout.Template(pio.templates["plotly_white"])
    template.layout.update(
        legend={"orientation": "h", "yanchor": "top", "y": -0.22, "x": 0, "xanchor": "left"},
        title={"font": {"size": 15}, "x": 0.02, "xanchor": "left"},
        margin={"l": 55, "r": 20, "t": 60, "b": 40},
    )
    return template


#: every figure's template (``template=TEMPLATE``)
TEMPLATE = _template()


def behaviour_colour(name: str) -> str:
    """Stable colour for a behaviour name (known ones fixed, others hashed onto a palette)."""
    if name in BEHAVIOUR_COLOURS:
        return BEHAVIOUR_COLOURS[name]
    return _EXTRA_COLOURS[sum(map(ord, str(name))) % len(_EXTRA_COLOURS)]


def _empty(title: str, note: str = "no data yet") -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title=title, template=TEMPLATE, xaxis_visible=False, yaxis_visible=False)
    fig.add_annotation(text=note, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    return fig


def _nodes_only(steps: pd.DataFrame) -> pd.DataFrame:
    return steps[steps["role"] == "node"] if "role" in steps else steps


def present(steps: pd.DataFrame) -> list[str]:
    """Node behaviours with at least one node in some epoch (``gaia_sim.summary.present_behaviours``,
    schema order, then any other name): the only ones a legend shows."""
    rows = _nodes_only(steps)
    if "count" not in rows:
        return sorted(map(str, rows["behaviour"].unique()))
    from gaia_sim.summary import present_behaviours

    known = present_behaviours(steps) if "role" in steps else []
    seen = set(rows.loc[rows["count"] > 0, "behaviour"].astype(str))
    return known + sorted(seen - set(known))


def _by_behaviour(steps: pd.DataFrame, column: str) -> dict[str, pd.Series]:
    """``column`` per epoch for each node behaviour present in the run (summed over rows of the same epoch)."""
    rows = _nodes_only(steps)
    table = rows.pivot_table(index="epoch", columns="behaviour", values=column, aggfunc="sum")
    table.columns = table.columns.astype(str)
    return {b: table[b].fillna(0.0) for b in present(steps) if b in table.columns}


def fig_behaviour_shares(steps: pd.DataFrame) -> go.Figure:
    """Share of node operators per behaviour over epochs: where the population's equilibrium lands."""
    title = "Behaviour shares over time (equilibrium)"
    if steps.empty:
        return _empty(title)
    fig = go.Figure()
    for name, series in _by_behaviour(steps, "share").items():
        fig.add_trace(
            go.Scatter(
                x=series.index,
                y=series.values,
                name=name,
                mode="lines",
                stackgroup="share",
                line_color=behaviour_colour(name),
            )
        )
    fig.update_layout(
        title=title, template=TEMPLATE, xaxis_title="epoch", yaxis_title="share of nodes", yaxis_range=[0, 1]
    )
    return fig


#: the balance panel's title: a node that switches behaviour takes its balance (debts included) along
BALANCE_TITLE = (
    "balance of the nodes in each behaviour now<br><sup>a node that switched brings its balance, debts included</sup>"
)


def fig_stake_balance(steps: pd.DataFrame) -> go.Figure:
    """Total stake (top) and balance (bottom) held by the nodes of each behaviour over epochs.

    Balances belong to nodes, not behaviours: a node that switches brings its balance (negative after
    topping up its stake from it, docs/economics.md) into its new behaviour, so the honest balance can go
    below zero when slashed cheaters turn honest. The panel title says so."""
    title = "Total stake and balance by behaviour"
    if steps.empty:
        return _empty(title)
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, subplot_titles=("stake", BALANCE_TITLE), vertical_spacing=0.16
    )
    for row, column in ((1, "stake"), (2, "balance")):
        for name, series in _by_behaviour(steps, column).items():
            fig.add_trace(
                go.Scatter(
                    x=series.index,
                    y=series.values,
                    name=name,
                    legendgroup=name,
                    showlegend=row == 1,
                    mode="lines",
                    line_color=behaviour_colour(name),
                ),
                row=row,
                col=1,
            )
    fig.update_layout(title=title, template=TEMPLATE, height=480)
    fig.update_xaxes(title_text="epoch", row=2, col=1)
    fig.update_yaxes(title_text="tokens")
    return fig


def fig_slashes(steps: pd.DataFrame) -> go.Figure:
    """Tokens slashed per epoch, split into right (cheaters) and wrong (honest operators) slashes."""
    title = "Slashes per epoch: right and wrong"
    if steps.empty:
        return _empty(title)
    per_epoch = steps.groupby("epoch")[["slashed", "wrongly_slashed"]].sum()
    right = (per_epoch["slashed"] - per_epoch["wrongly_slashed"]).clip(lower=0.0)
    fig = go.Figure(
        [
            go.Bar(x=per_epoch.index, y=right.values, name="right (cheaters)", marker_color="#1f77b4"),
            go.Bar(
                x=per_epoch.index, y=per_epoch["wrongly_slashed"].values, name="wrong (honest)", marker_color="#d62728"
            ),
        ]
    )
    fig.update_layout(
        title=title, template=TEMPLATE, barmode="stack", xaxis_title="epoch", yaxis_title="tokens slashed"
    )
    return fig


def fig_revenue_cost(steps: pd.DataFrame) -> go.Figure:
    """Revenue (solid) and cost (dashed) per node of each behaviour over epochs."""
    title = "Revenue and cost per node, by behaviour"
    if steps.empty:
        return _empty(title)
    counts = _by_behaviour(steps, "count")
    fig = go.Figure()
    for column, dash in (("revenue", "solid"), ("cost", "dash")):
        for name, series in _by_behaviour(steps, column).items():
            per_node = series / counts[name].where(counts[name] > 0)
            fig.add_trace(
                go.Scatter(
                    x=series.index,
                    y=per_node.values,
                    name=f"{name} {column}",
                    legendgroup=name,
                    mode="lines",
                    line={"color": behaviour_colour(name), "dash": dash},
                )
            )
    fig.update_layout(title=title, template=TEMPLATE, xaxis_title="epoch", yaxis_title="tokens per node per epoch")
    return fig


def roc_curve(scores: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Empirical ROC curve (FPR, TPR) and its area, thresholding ``scores`` from high to low.

    Fawcett (2006), "An introduction to ROC analysis", Algorithm 1 (ties handled by grouping
    equal scores); AUC by the trapezoidal rule. Needs at least one positive and one negative.
    """
    scores = np.asarray(scores, dtype=float)
    positive = np.asarray(positive, dtype=bool)
    order = np.argsort(-scores, kind="stable")
    s, p = scores[order], positive[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(s) != 0), len(s) - 1]
    tp, fp = np.cumsum(p)[last_of_tie], np.cumsum(~p)[last_of_tie]
    tpr = np.r_[0.0, tp / max(p.sum(), 1)]
    fpr = np.r_[0.0, fp / max((~p).sum(), 1)]
    return fpr, tpr, float(np.trapezoid(tpr, fpr))


def fig_roc(events: pd.DataFrame) -> go.Figure:
    """This run's detection ROC: verdict scores against whether the judged node was cheating.

    A verdict event is positive when the node's behaviour at that epoch is not ``honest``; the
    marker is the operating point actually used (the ``flagged`` column).
    """
    title = "Detection ROC of this run (verdicts)"
    verdicts = events[events["kind"] == "verdict"].dropna(subset=["score"]) if not events.empty else events
    if verdicts.empty:
        return _empty(title, "no verdicts yet")
    from gaia_sim.nodes import with_trait

    positive = verdicts["behaviour"].isin(with_trait("cheats")).to_numpy()
    if positive.all() or not positive.any():
        return _empty(title, "ROC needs both honest and cheating nodes among the verdicts")
    fpr, tpr, auc = roc_curve(verdicts["score"].to_numpy(), positive)
    flagged = verdicts["flagged"].astype(bool).to_numpy()
    op_fpr, op_tpr = flagged[~positive].mean(), flagged[positive].mean()
    fig = go.Figure(
        [
            go.Scatter(x=fpr, y=tpr, mode="lines", name=f"ROC (AUC {auc:.3f})", line_shape="hv"),
            go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="chance", line={"dash": "dot", "color": "grey"}),
            go.Scatter(
                x=[op_fpr],
                y=[op_tpr],
                mode="markers",
                name="operating point (flagged)",
                marker={"size": 12, "symbol": "x", "color": "#d62728"},
            ),
        ]
    )
    fig.update_layout(
        title=title,
        template=TEMPLATE,
        xaxis_title="false-positive rate",
        yaxis_title="true-positive rate",
        xaxis_range=[0, 1],
        yaxis_range=[0, 1.02],
    )
    return fig


def fig_phase_diagram(
    sweep: pd.DataFrame, x: str, y: str, outcome: str, boundary: pd.DataFrame | None = None
) -> go.Figure:
    """Heatmap of the mean ``outcome`` over replications for two swept parameters ``x`` and ``y``.

    ``boundary`` (columns ``x``, ``y``) is the analytic deterrence boundary drawn on top.
    """
    title = f"{outcome}<br><sup>over {x} x {y}</sup>"
    if sweep.empty or not {x, y, outcome} <= set(sweep.columns):
        return _empty(title, "choose two swept parameters and an outcome")
    grid = sweep.pivot_table(index=y, columns=x, values=outcome, aggfunc="mean")
    fig = go.Figure(
        go.Heatmap(
            x=grid.columns.to_numpy(),
            y=grid.index.to_numpy(),
            z=grid.to_numpy(),
            colorscale="Viridis",
            colorbar_title=outcome,
            hovertemplate=f"{x}=%{{x}}<br>{y}=%{{y}}<br>{outcome}=%{{z:.3f}}<extra></extra>",
        )
    )
    if boundary is not None and not boundary.empty:
        fig.add_trace(_boundary_trace(boundary))
    fig.update_layout(title=title, template=TEMPLATE, xaxis_title=x, yaxis_title=y)
    return fig


def _boundary_trace(boundary: pd.DataFrame) -> go.BaseTraceType:
    """A boundary given as a curve (columns x, y) or as the zero contour of a margin grid (x, y, margin)."""
    line = {"color": "white", "width": 3, "dash": "dash"}
    if "margin" not in boundary:
        return go.Scatter(x=boundary["x"], y=boundary["y"], mode="lines", name="deterrence boundary", line=line)
    grid = boundary.pivot_table(index="y", columns="x", values="margin")
    return go.Contour(
        x=grid.columns.to_numpy(),
        y=grid.index.to_numpy(),
        z=grid.to_numpy(),
        showscale=False,
        contours={"start": 0, "end": 0, "size": 1, "coloring": "none"},
        line=line,
        name="deterrence boundary",
        showlegend=True,
        hoverinfo="skip",
    )


def fig_replication_bands(
    sweep: pd.DataFrame, x: str, outcome: str, group: str | None = None, band: tuple[float, float] = (0.1, 0.9)
) -> go.Figure:
    """Mean ``outcome`` against ``x`` with a band between the ``band`` quantiles over replications.

    One line per value of ``group`` (another swept parameter) when given.
    """
    title = f"{outcome} against {x}<br><sup>mean and {band[0]:.0%}-{band[1]:.0%} band over replications</sup>"
    if sweep.empty or not {x, outcome} <= set(sweep.columns):
        return _empty(title, "choose a swept parameter and an outcome")
    fig = go.Figure()
    groups = sweep.groupby(group) if group and group in sweep else [(None, sweep)]
    for i, (key, part) in enumerate(groups):
        colour = _EXTRA_COLOURS[i % len(_EXTRA_COLOURS)]
        stats = part.groupby(x)[outcome].agg(
            mean="mean", lo=lambda s: s.quantile(band[0]), hi=lambda s: s.quantile(band[1])
        )
        name = outcome if key is None else f"{group}={key}"
        xs = stats.index.to_numpy()
        fig.add_trace(
            go.Scatter(
                x=np.r_[xs, xs[::-1]],
                y=np.r_[stats["hi"], stats["lo"][::-1]],
                fill="toself",
                line={"width": 0},
                fillcolor=colour,
                opacity=0.2,
                name=f"{name} band",
                legendgroup=name,
                showlegend=False,
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            go.Scatter(x=xs, y=stats["mean"], mode="lines+markers", name=name, legendgroup=name, line_color=colour)
        )
    fig.update_layout(title=title, template=TEMPLATE, xaxis_title=x, yaxis_title=outcome)
    return fig


def fig_answer_pca(points: pd.DataFrame, colour_by: str = "behaviour") -> go.Figure:
    """2-D PCA of answer embeddings: one marker per answer, coloured by ``behaviour`` or ``node``.

    ``points`` columns: pc1, pc2, node, behaviour, question, text (answer text, shown on hover).
    Marker symbol distinguishes questions.
    """
    title = f"Answer embeddings, 2 principal components<br><sup>colour: {colour_by}</sup>"
    if points.empty:
        return _empty(title, "no answers")
    fig = go.Figure()
    symbols = {
        q: s
        for q, s in zip(
            sorted(points["question"].unique()), ["circle", "square", "diamond", "cross", "triangle-up", "star"] * 10
        )
    }
    for key, part in points.groupby(colour_by, sort=True):
        colour = behaviour_colour(str(key)) if colour_by == "behaviour" else None
        hover = (
            "node "
            + part["node"].astype(str)
            + " ("
            + part["behaviour"]
            + ")<br>q "
            + part["question"].astype(str)
            + "<br>"
            + part["text"].map(_wrap)
        )
        fig.add_trace(
            go.Scatter(
                x=part["pc1"],
                y=part["pc2"],
                mode="markers",
                name=f"{colour_by} {key}",
                marker={"color": colour, "size": 8, "opacity": 0.8, "symbol": part["question"].map(symbols).tolist()},
                hovertext=hover,
                hoverinfo="text",
            )
        )
    fig.update_layout(title=title, template=TEMPLATE, xaxis_title="PC1", yaxis_title="PC2")
    return fig


def _wrap(text: str, width: int = 70, limit: int = 420) -> str:
    text = str(text)[:limit]
    return "<br>".join(text[i : i + width] for i in range(0, len(text), width))


def fig_node_scores(
    scores: pd.DataFrame, alpha: float | None = None, title: str = "Detector score and p-value per node"
) -> go.Figure:
    """Each node's detector score (top) and p-value on a log scale (bottom), coloured by behaviour.

    ``scores`` columns: node, behaviour, score, p_value, flagged. ``alpha`` draws the threshold.
    """
    if scores.empty:
        return _empty(title, "no assessment yet")
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, subplot_titles=("score (higher = more suspicious)", "p-value")
    )
    for name, part in scores.groupby("behaviour", sort=True):
        colour = behaviour_colour(str(name))
        labels = part["node"].astype(str)
        hover = [
            f"node {n}<br>score {s:.3g}<br>p {p:.3g}<br>flagged {f}"
            for n, s, p, f in zip(labels, part["score"], part["p_value"], part["flagged"])
        ]
        fig.add_trace(
            go.Bar(
                x=labels,
                y=part["score"],
                name=str(name),
                marker_color=colour,
                legendgroup=str(name),
                hovertext=hover,
                hoverinfo="text",
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=labels,
                y=part["p_value"].clip(lower=1e-12),
                mode="markers",
                marker={"color": colour, "size": 9, "symbol": np.where(part["flagged"], "x", "circle")},
                name=str(name),
                legendgroup=str(name),
                showlegend=False,
                hovertext=hover,
                hoverinfo="text",
            ),
            row=2,
            col=1,
        )
    if alpha is not None:
        fig.add_hline(y=alpha, line_dash="dot", line_color="grey", row=2, col=1, annotation_text=f"alpha = {alpha:g}")
    fig.update_yaxes(type="log", dtick=1, exponentformat="power", row=2, col=1)
    fig.update_xaxes(type="category", title_text="node", row=2, col=1)
    fig.update_layout(title=title, template=TEMPLATE, height=520)
    return fig


_EDGE_STYLES = {
    "member": {"width": 0.6, "color": "#bbbbbb"},
    "probe": {"width": 0.6, "color": "#9ecae1"},
    "ring": {"width": 2.5, "color": "#d62728"},
    "shield": {"width": 1, "color": "#d62728", "dash": "dot"},
    "guilty verdict": {"width": 2, "color": "#ff7f0e"},
}


def fig_network(vertices: pd.DataFrame, edges: pd.DataFrame) -> go.Figure:
    """The domain as a graph: operator sets, validators and nodes at laid-out positions.

    ``vertices`` columns: id, kind ("operator_set"|"validator"|"node"), x, y, behaviour, status,
    slashed (bool), label. ``edges`` columns: x0, y0, x1, y1, kind. Fill colour = behaviour;
    a thick black outline = slashed; marker shape = kind; jailed/ejected nodes are drawn faded.
    """
    title = "Network: operator sets, validators and nodes"
    if vertices.empty:
        return _empty(title, "no nodes")
    fig = go.Figure()
    for kind, part in edges.groupby("kind") if not edges.empty else []:
        xs = np.column_stack([part["x0"], part["x1"], np.full(len(part), np.nan)]).ravel()
        ys = np.column_stack([part["y0"], part["y1"], np.full(len(part), np.nan)]).ravel()
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                name=f"{kind} edge",
                hoverinfo="skip",
                line=_EDGE_STYLES.get(kind, _EDGE_STYLES["member"]),
            )
        )
    shapes = {"operator_set": "hexagon", "validator": "square", "node": "circle"}
    for (kind, name), part in vertices.groupby(["kind", "behaviour"], sort=True):
        active = part["status"].isin(["active", ""]).to_numpy()
        fig.add_trace(
            go.Scatter(
                x=part["x"],
                y=part["y"],
                mode="markers",
                name=f"{kind}: {name}",
                hovertext=part["label"],
                hoverinfo="text",
                marker={
                    "symbol": shapes.get(kind, "circle"),
                    "size": 20 if kind == "operator_set" else 11,
                    "color": behaviour_colour(str(name)) if kind != "operator_set" else "#444444",
                    "opacity": np.where(active, 1.0, 0.35).tolist(),
                    "line": {"color": "black", "width": np.where(part["slashed"], 3, 0.5).tolist()},
                },
            )
        )
    fig.update_layout(
        title=title,
        template=TEMPLATE,
        height=620,
        xaxis_visible=False,
        yaxis_visible=False,
        legend_title="kind: behaviour (outline = slashed)",
        legend_title_side="top",
    )
    return fig


def _finite_or_nan(x: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(x), x, np.nan)


def fig_attack_margins(attacks: pd.DataFrame) -> go.Figure:
    """Each attack's profit over an honest node under the recommended design, with its confidence
    interval (``attacks``: name, profit_over_honest, ci_low, ci_high); below 0 the attack does not pay
    (green), grey where ``data.attack_table`` marks it ``immaterial``, red otherwise."""
    title = "What each attack earns over honest<br><sup>tokens per node-epoch, with its confidence interval</sup>"
    if attacks.empty:
        return _empty(title, "no attacks in this recommendation")
    mean = attacks["profit_over_honest"].to_numpy(float)
    immaterial = attacks["immaterial"] if "immaterial" in attacks else [False] * len(attacks)
    colours = ["#2ca02c" if hi < 0 else "#7f7f7f" if i else "#d62728" for hi, i in zip(attacks["ci_high"], immaterial)]
    fig = go.Figure(
        go.Scatter(
            x=mean,
            y=attacks["name"],
            mode="markers",
            marker={"color": colours, "size": 10},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": _finite_or_nan(attacks["ci_high"].to_numpy(float) - mean),  # no bound: no bar
                "arrayminus": _finite_or_nan(mean - attacks["ci_low"].to_numpy(float)),
            },
            name="profit over honest",
            showlegend=False,
        )
    )
    fig.add_vline(x=0, line_dash="dash", line_color="#555")
    fig.update_layout(
        title=title, template=TEMPLATE, xaxis_title="profit over honest (tokens per node-epoch)", yaxis_title=None
    )
    return fig


def fig_compare_runs(runs: dict[str, pd.DataFrame], column: str, behaviour: str) -> go.Figure:
    """Pinned runs overlaid: ``column`` of the nodes with ``behaviour`` (``"all"``: every node behaviour
    summed; a share column then sums to 1) per epoch, one line per run, labelled by what differs."""
    who = "all nodes" if behaviour == "all" else f"{behaviour} nodes"
    title = f"{column} of {who}, pinned runs overlaid"
    if not runs:
        return _empty(title, "no pinned runs: pin runs on the Run page")
    fig = go.Figure()
    for i, (label, steps) in enumerate(runs.items()):
        rows = _nodes_only(steps)
        if behaviour != "all":
            rows = rows[rows["behaviour"] == behaviour]
        series = rows.groupby("epoch")[column].sum() if column in rows else pd.Series(dtype=float)
        fig.add_trace(
            go.Scatter(
                x=series.index,
                y=series.values,
                name=label,
                mode="lines",
                line_color=_EXTRA_COLOURS[i % len(_EXTRA_COLOURS)],
            )
        )
    fig.update_layout(title=title, template=TEMPLATE, xaxis_title="epoch", yaxis_title=column)
    return fig


def fig_compare_slices(slices: dict[str, tuple[pd.DataFrame, str, str]]) -> go.Figure:
    """Pinned sweep slices overlaid: the mean outcome against the swept parameter over replications, one
    line per slice (``slices``: label -> (sweep rows, x, outcome)), labelled by what differs."""
    title = "Pinned sweep slices overlaid<br><sup>mean over replications</sup>"
    if not slices:
        return _empty(title, "no pinned slices: pin slices on the Sweep page")
    fig = go.Figure()
    xs, outcomes = set(), set()
    for i, (label, (rows, x, outcome)) in enumerate(slices.items()):
        if rows.empty or not {x, outcome} <= set(rows.columns):
            continue
        mean = rows.groupby(x)[outcome].mean()
        xs.add(x)
        outcomes.add(outcome)
        fig.add_trace(
            go.Scatter(
                x=mean.index,
                y=mean.values,
                name=label,
                mode="lines+markers",
                line_color=_EXTRA_COLOURS[i % len(_EXTRA_COLOURS)],
            )
        )
    fig.update_layout(
        title=title, template=TEMPLATE, xaxis_title=" / ".join(sorted(xs)), yaxis_title=" / ".join(sorted(outcomes))
    )
    return fig


#: PRIM box colours, as in the report's prim.png (gaia_sim.sweep.discovery.BOX_COLOURS, matplotlib's tab: colours)
PRIM_COLOURS = ("#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")
#: colours of the box statistics' bars
PRIM_STAT_COLOURS = {"coverage": "#1f77b4", "density": "#d62728", "mass": "#7f7f7f"}


def fig_prim_boxes(doc: dict) -> go.Figure:
    """A sweep's prim.json (gaia_sim.sweep.discovery). Left: each box as a rectangle over the two numeric
    inputs the first box restricts most (``discovery.plot_dims``; a side a box leaves free spans the
    input's range, its other limits are named in its legend entry). Right: each box's coverage, density
    and mass, with the density target and the base rate."""
    from gaia_sim.sweep.discovery import plot_dims

    title = (
        "Where cheating pays: PRIM boxes<br><sup>"
        f"{doc['cells_where_cheating_pays']} of {doc['cells']} cells pay (base rate {doc['base_rate']:.2f})</sup>"
    )
    boxes = doc["boxes"]
    if not boxes:
        return _empty(title, "PRIM found no box")
    dims = plot_dims(doc["inputs"], boxes[0]["limits"])
    fig = make_subplots(rows=1, cols=2, column_widths=[0.6, 0.4], horizontal_spacing=0.14)
    for i, box in enumerate(boxes):
        fig.add_trace(_prim_rectangle(doc["inputs"], box, dims, i), row=1, col=1)
    for stat, colour in PRIM_STAT_COLOURS.items():
        ys = [box[stat] for box in boxes]
        fig.add_trace(go.Bar(x=[f"box {b['id']}" for b in boxes], y=ys, name=stat, marker_color=colour), row=1, col=2)
    fig.add_hline(y=doc["parameters"]["min_density"], line_dash="dash", row=1, col=2, annotation_text="density target")
    fig.add_hline(y=doc["base_rate"], line_dash="dot", row=1, col=2, annotation_text="base rate")
    for axis, dim in zip(("x", "y"), dims):
        span = doc["inputs"][dim]
        pad = 0.03 * (span["high"] - span["low"] or 1.0)
        fig.update_layout({f"{axis}axis": {"title": dim, "range": [span["low"] - pad, span["high"] + pad]}})
    if len(dims) < 2:
        fig.update_yaxes(title_text="box", row=1, col=1)
    fig.update_yaxes(title_text="share of cells", range=[0, 1.05], row=1, col=2)
    fig.update_layout(title=title, template=TEMPLATE, barmode="group")
    return fig


def _prim_rectangle(inputs: dict, box: dict, dims: list[str], i: int) -> go.Scatter:
    from gaia_sim.sweep.discovery import box_line

    x0, x1 = _prim_span(inputs, box, dims[0]) if dims else (0.0, 1.0)
    y0, y1 = _prim_span(inputs, box, dims[1]) if len(dims) > 1 else (i + 0.6, i + 1.4)
    other = [k for k in box["limits"] if k not in dims]
    return go.Scatter(
        x=[x0, x1, x1, x0, x0],
        y=[y0, y0, y1, y1, y0],
        mode="lines",
        fill="toself",
        opacity=0.45,
        line={"color": PRIM_COLOURS[i % len(PRIM_COLOURS)], "width": 2},
        name=f"box {box['id']}" + (f" (also limits {', '.join(other)})" if other else ""),
        text=box_line(box),
        hoveron="fills",
        hoverinfo="text",
    )


def _prim_span(inputs: dict, box: dict, dim: str) -> tuple[float, float]:
    limit = box["limits"].get(dim)
    limit = limit if isinstance(limit, dict) else inputs[dim]
    return float(limit["low"]), float(limit["high"])
