"""Compare page: runs pinned on the Run page and sweep slices pinned on the Sweep page, overlaid in one
figure and side by side, each labelled by the parameters that differ between the pinned items.

Pins are kept per browser tab (the ``pins`` store: ``{"runs": [ref, ...], "slices": [slice, ...]}``); a
run ref is ``{"run_dir": folder}`` for a written run or ``{"job": id, "owner": session}`` for a stopped
one of this session, a slice is ``{"sweep": folder, "x": ..., "outcome": ..., "group": ...}``."""

from __future__ import annotations

from pathlib import Path

from dash import Input, Output, dcc, html, no_update

from dashboard import data, figures
from gaia_sim.errors import UserError

#: at most this many runs and this many slices pinned per tab (older pins drop off)
MAX_PINS = 6
#: node columns of the steps table offered for the overlay (gaia_sim.metrics.CATALOGUE explains them)
COLUMNS = ("share", "count", "stake", "balance", "revenue", "cost", "profit", "slashed", "wrongly_slashed", "flagged")


def layout(ctx):
    from gaia_sim.params import NODE_BEHAVIOURS

    return html.Div(
        [
            html.Div(
                className="controls",
                children=[
                    _control("overlay: column", dcc.Dropdown(id="cmp-column", options=COLUMNS, value="share")),
                    _control(
                        "of nodes that are",
                        dcc.Dropdown(id="cmp-behaviour", options=["all", *NODE_BEHAVIOURS], value="honest"),
                    ),
                    html.Button("Clear pins", id="cmp-clear", n_clicks=0),
                ],
            ),
            html.Div(id="cmp-message", className="message"),
            html.Div(id="cmp-differ"),
            html.Div(
                className="grid2",
                children=[
                    html.Div(
                        [dcc.Graph(id="fig-cmp-runs"), html.Small(id="explain-fig-cmp-runs", className="explain")]
                    ),
                    dcc.Graph(id="fig-cmp-slices"),
                ],
            ),
            html.H4("Side by side"),
            html.Div(id="cmp-side", className="grid2"),
        ]
    )


def _control(label, component):
    return html.Div(className="control", children=[html.Label(label), component])


def pin(pins: dict | None, kind: str, item: dict) -> tuple[dict, bool]:
    """``pins`` with ``item`` added to ``kind`` ("runs" or "slices"), newest last, at most MAX_PINS;
    returns ``(pins, added)`` (an item already pinned is not added twice)."""
    pins = {"runs": [], "slices": [], **(pins or {})}
    if item in pins[kind]:
        return pins, False
    return {**pins, kind: [*pins[kind], item][-MAX_PINS:]}, True


def resolve_run(ctx, ref: dict):
    """The RunResult a pin refers to, or None (a stopped job of a past server, a folder since removed)."""
    from gaia_sim.results import read_run

    if ref.get("job"):
        job = ctx.jobs.get(ref["job"], ref.get("owner")) if ctx.jobs is not None else None
        return job.result if job is not None and job.done else None
    try:
        key = ("stored", str(ref["run_dir"]), (Path(ref["run_dir"]) / "manifest.json").stat().st_mtime_ns)
        if key not in ctx.cache:
            ctx.cache[key] = read_run(ref["run_dir"])
    except (UserError, OSError, ValueError, KeyError):
        return None
    return ctx.cache[key]


def compare(ctx, pins: dict | None, column: str, behaviour: str):
    """Everything the page shows for ``pins``: (runs overlay, slices overlay, side-by-side figures,
    table of what differs, message)."""
    pins = pins or {}
    runs = [(ref, resolve_run(ctx, ref)) for ref in pins.get("runs", [])]
    lost = sum(r is None for _, r in runs)
    runs = [r for _, r in runs if r is not None]
    run_labels = data.compare_labels([r.scenario.to_dict() for r in runs])
    slices = []
    for s in pins.get("slices", []):
        try:
            slices.append((s, data.load_sweep(Path(s["sweep"]))[0]))
        except (UserError, OSError, ValueError):
            lost += 1
    slice_labels = data.compare_labels([{**s, "sweep": Path(s["sweep"]).name} for s, _ in slices])
    overlay_runs = figures.fig_compare_runs(
        {label: r.steps for label, r in zip(run_labels, runs)}, column or "share", behaviour or "honest"
    )
    overlay_slices = figures.fig_compare_slices(
        {label: (rows, s["x"], s["outcome"]) for label, (s, rows) in zip(slice_labels, slices)}
    )
    side = [_titled(figures.fig_behaviour_shares(r.steps), label) for label, r in zip(run_labels, runs)]
    side += [
        _titled(figures.fig_replication_bands(rows, s["x"], s["outcome"], group=_group(s)), label)
        for label, (s, rows) in zip(slice_labels, slices)
    ]
    message = f"{len(runs)} runs and {len(slices)} sweep slices pinned in this tab"
    if lost:
        message += f"; {lost} pinned item(s) no longer available (not shown)"
    if not runs and not slices:
        message = "Nothing pinned yet: press 'Pin this run' on the Run page or 'Pin this slice' on the Sweep page."
    differ = _differ_table(runs, run_labels)
    return overlay_runs, overlay_slices, [dcc.Graph(figure=f) for f in side], differ, message


def _group(s: dict):
    return s.get("group") if s.get("group") not in (None, s["x"]) else None


def _titled(fig, label: str):
    title = fig.layout.title.text or ""
    fig.update_layout(title_text=f"{label}<br><sup>{title.split('<br>')[0]}</sup>")
    return fig


def _differ_table(runs, labels):
    """The parameters that differ between the pinned runs, one column per run."""
    if len(runs) < 2:
        return html.Div()
    dicts = [r.scenario.to_dict() for r in runs]
    keys = data.differing(dicts)
    flat = [data._flat(d) for d in dicts]
    head = html.Tr([html.Th("parameter"), *[html.Th(label.split(" ")[0]) for label in labels]])
    rows = [html.Tr([html.Td(k), *[html.Td(str(f.get(k))) for f in flat]]) for k in keys]
    return html.Table([head, *rows], id="cmp-differ-table", className="table")


def register(app, ctx):
    @app.callback(
        Output("fig-cmp-runs", "figure"),
        Output("fig-cmp-slices", "figure"),
        Output("cmp-side", "children"),
        Output("cmp-differ", "children"),
        Output("cmp-message", "children"),
        Output("explain-fig-cmp-runs", "children"),
        Input("tabs", "value"),
        Input("pins", "data"),
        Input("cmp-column", "value"),
        Input("cmp-behaviour", "value"),
    )
    def draw(tab, pins, column, behaviour):
        if tab != "compare":
            return (no_update,) * 6
        return (*compare(ctx, pins, column, behaviour), data.explain([column or "share"]))

    @app.callback(
        Output("pins", "data", allow_duplicate=True),
        Input("cmp-clear", "n_clicks"),
        prevent_initial_call=True,
    )
    def clear(_clicks):
        return {"runs": [], "slices": []}
