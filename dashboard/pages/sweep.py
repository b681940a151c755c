"""Sweep page: open a sweep result; phase diagram of two swept parameters against an outcome (with
the analytic deterrence boundary when ``gaia_sim.deterrence`` provides one) and replication bands.

The list of sweep results is re-read when the page is shown and every ``REFRESH_MS`` while it is
(a sweep finished after the server started appears without a restart). The boundary takes seconds:
the figures sit in a ``dcc.Loading`` (spinner, stale figure hidden) and a newly opened sweep clears
the previous one's heat map at once. ``x = y`` is refused with a message, never a server error.

Below, the sweep's scenario discovery when ``gaia-sim report DIR --discover`` wrote one
(``report/prim.json``): the PRIM boxes where cheating pays as a table and a figure; else how to make
one; a malformed file is one message."""

from __future__ import annotations

from dash import Input, Output, State, dcc, html, no_update

from dashboard import data, figures
from gaia_sim.errors import UserError
from gaia_sim.sweep.discovery import TERMS

#: how often the list of sweep results is re-read while the Sweep page is shown
REFRESH_MS = 10_000
#: points per axis of the analytic margin grid (its zero contour is the boundary; 24 x 24 calls of
#: gaia_sim.deterrence take a few seconds, 60 x 60 took 11-18 s)
BOUNDARY_RESOLUTION = 24
#: shown when the sweep has no prim.json
NO_DISCOVERY = (
    "No scenario discovery for this sweep: run gaia-sim report {dir} --discover "
    "(PRIM boxes where cheating pays, written to {path}), then open the sweep again."
)
#: what PRIM boxes are, in the words of gaia_sim.sweep.discovery
PRIM_NOTE = (
    "PRIM boxes (Friedman & Fisher 1999): ranges of the swept parameters inside which cheating pays in most "
    "cells; each keeps the largest coverage whose density reaches the target; "
    + "; ".join(f"{k}: {v}" for k, v in TERMS.items())
    + "."
)


def layout(ctx):
    sweeps = [str(p) for p in data.find_sweeps(ctx.sweep_roots)]
    return html.Div(
        [
            html.Div(
                className="controls",
                children=[
                    _control(
                        "Sweep result",
                        dcc.Dropdown(
                            id="sweep-pick",
                            options=sweeps,
                            value=sweeps[0] if sweeps else None,
                            placeholder="no sweep results found",
                            style={"width": "420px"},
                        ),
                    ),
                    _control(
                        "or a path",
                        dcc.Input(
                            id="sweep-path",
                            type="text",
                            placeholder="results/sweeps/NAME",
                            debounce=True,
                            style={"width": "300px"},
                        ),
                    ),
                    html.Button("Open", id="sweep-open", n_clicks=0),
                ],
            ),
            html.Div(id="sweep-message", className="message"),
            dcc.Store(id="sweep-dir"),
            dcc.Interval(id="sweep-refresh", interval=REFRESH_MS),
            html.Div(
                className="controls",
                children=[
                    _control("x parameter", dcc.Dropdown(id="sweep-x", style={"width": "240px"})),
                    _control("y parameter", dcc.Dropdown(id="sweep-y", style={"width": "240px"})),
                    _control("outcome", dcc.Dropdown(id="sweep-outcome", style={"width": "260px"})),
                    _control("lines by (bands)", dcc.Dropdown(id="sweep-group", style={"width": "240px"})),
                    html.Button("Pin this slice", id="sweep-pin", n_clicks=0, title="compare it on the Compare page"),
                    html.Span(id="sweep-pin-message", className="message"),
                ],
            ),
            html.Div(id="sweep-boundary-note", className="message"),
            dcc.Loading(
                id="sweep-loading",
                type="circle",
                delay_show=150,
                children=html.Div(className="grid2", children=[dcc.Graph(id="fig-phase"), dcc.Graph(id="fig-bands")]),
            ),
            html.H4("Scenario discovery: where cheating pays"),
            html.Div(id="sweep-prim-message", className="message"),
            html.Div(id="sweep-prim"),
        ]
    )


def _control(label, component):
    return html.Div(className="control", children=[html.Label(label), component])


def register(app, ctx):
    @app.callback(
        Output("sweep-pick", "options"),
        Output("sweep-pick", "value", allow_duplicate=True),
        Input("tabs", "value"),
        Input("sweep-refresh", "n_intervals"),
        State("sweep-pick", "value"),
        State("sweep-pick", "options"),
        prevent_initial_call="initial_duplicate",
    )
    def list_sweeps(tab, _ticks, picked, shown):
        """The sweep results on disk now (not only those found when the server started)."""
        from dash import ctx as trigger

        if tab != "sweep" and trigger.triggered_id is not None:
            return no_update, no_update
        sweeps = [str(p) for p in data.find_sweeps(ctx.sweep_roots)]
        options = no_update if sweeps == list(shown or []) else sweeps
        value = sweeps[0] if sweeps and picked not in sweeps else no_update
        return options, value

    @app.callback(
        Output("sweep-dir", "data"),
        Output("sweep-message", "children"),
        Output("sweep-message", "className"),
        Output("sweep-x", "options"),
        Output("sweep-x", "value"),
        Output("sweep-y", "options"),
        Output("sweep-y", "value"),
        Output("sweep-outcome", "options"),
        Output("sweep-outcome", "value"),
        Output("sweep-group", "options"),
        Output("sweep-group", "value"),
        Output("fig-phase", "figure", allow_duplicate=True),
        Output("sweep-boundary-note", "children", allow_duplicate=True),
        Input("sweep-open", "n_clicks"),
        Input("sweep-pick", "value"),
        Input("sweep-path", "value"),
        prevent_initial_call="initial_duplicate",
    )
    def open_sweep(_clicks, picked, typed):
        from dash import ctx as trigger

        chosen = typed if trigger.triggered_id in ("sweep-path", "sweep-open") and typed else picked
        if not chosen:
            return (
                None,
                "No sweep result yet: run `gaia-sim sweep scenarios/sweeps/FILE.toml`, then open its directory here.",
                "message",
            ) + (no_update,) * 10
        try:
            rows, params, outcomes = _load(ctx, chosen)
        except (UserError, OSError, ValueError) as err:
            return (None, str(err), "message error") + (no_update,) * 10
        outcome = "final_honest_share" if "final_honest_share" in outcomes else (outcomes or [None])[0]
        x, y = (params + [None, None])[:2]
        msg = f"{chosen}: {len(rows)} rows, swept {', '.join(params) or 'nothing'}"
        cleared = figures._empty(
            f"{outcome} over {x} x {y}", "drawing (the deterrence boundary takes a few seconds) ..."
        )
        return (
            str(chosen),
            msg,
            "message",
            params,
            x,
            params,
            y,
            outcomes,
            outcome,
            params,
            params[2] if len(params) > 2 else y,
            cleared,
            "Computing the analytic deterrence boundary ...",
        )

    @app.callback(
        Output("sweep-prim", "children"),
        Output("sweep-prim-message", "children"),
        Output("sweep-prim-message", "className"),
        Input("sweep-dir", "data"),
    )
    def show_discovery(sweep_dir):
        return discovery_view(sweep_dir)

    @app.callback(
        Output("pins", "data", allow_duplicate=True),
        Output("sweep-pin-message", "children"),
        Input("sweep-pin", "n_clicks"),
        State("pins", "data"),
        State("sweep-dir", "data"),
        State("sweep-x", "value"),
        State("sweep-outcome", "value"),
        State("sweep-group", "value"),
        prevent_initial_call=True,
    )
    def pin(_clicks, pins, sweep_dir, x, outcome, group):
        """Pin the slice shown in the bands figure for the Compare page."""
        return pin_slice(pins, sweep_dir, x, outcome, group)

    @app.callback(
        Output("fig-phase", "figure"),
        Output("fig-bands", "figure"),
        Output("sweep-boundary-note", "children"),
        Output("sweep-boundary-note", "className"),
        Input("sweep-dir", "data"),
        Input("sweep-x", "value"),
        Input("sweep-y", "value"),
        Input("sweep-outcome", "value"),
        Input("sweep-group", "value"),
    )
    def draw(sweep_dir, x, y, outcome, group):
        if not sweep_dir:
            empty = figures.fig_phase_diagram(data.pd.DataFrame(), "x", "y", "outcome")
            return empty, figures.fig_replication_bands(data.pd.DataFrame(), "x", "outcome"), "", "message"
        rows, _, _ = _load(ctx, sweep_dir)
        if x is not None and x == y:
            refused = figures._empty(
                f"{outcome} over {x} x {y}", "x and y are the same parameter: choose two different ones"
            )
            return (
                refused,
                figures.fig_replication_bands(rows, x, outcome, group=group if group != x else None),
                f"x and y are both {x}: choose two different parameters for the phase diagram.",
                "message error",
            )
        key = ("boundary", sweep_dir, x, y, len(rows))
        if key not in ctx.cache:
            ctx.cache[key] = data.deterrence_boundary(rows, x, y, sweep_dir, resolution=BOUNDARY_RESOLUTION)
        boundary, note = ctx.cache[key]
        return (
            figures.fig_phase_diagram(rows, x, y, outcome, boundary),
            figures.fig_replication_bands(rows, x, outcome, group=group if group != x else None),
            note,
            "message",
        )


def discovery_view(sweep_dir) -> tuple:
    """``(children, message, message class)`` of the sweep's scenario discovery: its PRIM boxes as a table
    and a figure, else how to make them; a malformed prim.json is one message."""
    if not sweep_dir:
        return html.Div(), "", "message"
    try:
        doc = data.sweep_discovery(sweep_dir)
    except UserError as err:
        return html.Div(), str(err), "message error"
    path = data.prim_path(sweep_dir)
    if doc is None:
        return html.Div(), NO_DISCOVERY.format(dir=sweep_dir, path=path), "message"
    n = len(doc["boxes"])
    return _prim_body(doc), f"{n} PRIM box{'' if n == 1 else 'es'} where cheating pays (from {path})", "message"


def _prim_body(doc: dict):
    """The outcome and its base rate, the boxes' table, their figure and what they mean."""
    table = data.prim_table(doc)
    rows = [html.Tr([html.Th(c) for c in table.columns])]
    rows += [html.Tr([html.Td(str(v)) for v in row]) for row in table.itertuples(index=False)]
    outcome = (
        f"Outcome {doc['outcome']}: {doc['definition']}. Base rate {doc['base_rate']:.2f} "
        f"({doc['cells_where_cheating_pays']} of {doc['cells']} cells)."
    )
    return html.Div(
        [
            html.P(outcome, id="sweep-prim-outcome"),
            html.Table(rows, id="sweep-prim-table", className="table"),
            dcc.Graph(id="fig-prim", figure=figures.fig_prim_boxes(doc)),
            html.Small(PRIM_NOTE, id="explain-fig-prim", className="explain"),
        ]
    )


def pin_slice(pins, sweep_dir, x, outcome, group):
    """``(pins with this slice added, message)``: the replication-band view (outcome against x, lines by group)."""
    from dashboard.pages.compare import pin

    if not (sweep_dir and x and outcome):
        return no_update, "Open a sweep and choose x and an outcome first."
    item = {"sweep": str(sweep_dir), "x": x, "outcome": outcome, "group": group if group != x else None}
    pins, added = pin(pins, "slices", item)
    if not added:
        return no_update, "This slice is pinned already."
    return pins, f"pinned {outcome} against {x}: {len(pins['slices'])} slices pinned, see Compare"


def _load(ctx, sweep_dir):
    """Sweep rows cached per (path, mtime) so redraws do not re-read Parquet."""
    from pathlib import Path

    from gaia_sim.sweep.store import dataset_path

    path = Path(sweep_dir)
    target = dataset_path(path)
    key = ("sweep", str(path), target.stat().st_mtime if target is not None else 0)
    if key not in ctx.cache:
        ctx.cache[key] = data.load_sweep(path)
    return ctx.cache[key]
