"""Sweep page: open a sweep result; phase diagram of two swept parameters against an outcome (with
the analytic deterrence boundary when ``gaia_sim.deterrence`` provides one) and replication bands."""

from __future__ import annotations

from dash import Input, Output, dcc, html, no_update

from dashboard import data, figures
from gaia_sim.errors import UserError


def layout(ctx):
    sweeps = [str(p) for p in data.find_sweeps(ctx.sweep_roots)]
    return html.Div([
        html.Div(className="controls", children=[
            _control("Sweep result", dcc.Dropdown(id="sweep-pick", options=sweeps,
                                                  value=sweeps[0] if sweeps else None,
                                                  placeholder="no sweep results found", style={"width": "420px"})),
            _control("or a path", dcc.Input(id="sweep-path", type="text", placeholder="results/sweeps/NAME",
                                            debounce=True, style={"width": "300px"})),
            html.Button("Open", id="sweep-open", n_clicks=0),
        ]),
        html.Div(id="sweep-message", className="message"),
        dcc.Store(id="sweep-dir"),
        html.Div(className="controls", children=[
            _control("x parameter", dcc.Dropdown(id="sweep-x", style={"width": "240px"})),
            _control("y parameter", dcc.Dropdown(id="sweep-y", style={"width": "240px"})),
            _control("outcome", dcc.Dropdown(id="sweep-outcome", style={"width": "260px"})),
            _control("lines by (bands)", dcc.Dropdown(id="sweep-group", style={"width": "240px"})),
        ]),
        html.Div(id="sweep-boundary-note", className="message"),
        html.Div(className="grid2", children=[dcc.Graph(id="fig-phase"), dcc.Graph(id="fig-bands")]),
    ])


def _control(label, component):
    return html.Div(className="control", children=[html.Label(label), component])


def register(app, ctx):
    @app.callback(Output("sweep-dir", "data"), Output("sweep-message", "children"),
                  Output("sweep-message", "className"),
                  Output("sweep-x", "options"), Output("sweep-x", "value"), Output("sweep-y", "options"),
                  Output("sweep-y", "value"), Output("sweep-outcome", "options"), Output("sweep-outcome", "value"),
                  Output("sweep-group", "options"), Output("sweep-group", "value"),
                  Input("sweep-open", "n_clicks"), Input("sweep-pick", "value"), Input("sweep-path", "value"))
    def open_sweep(_clicks, picked, typed):
        from dash import ctx as trigger

        chosen = typed if trigger.triggered_id in ("sweep-path", "sweep-open") and typed else picked
        if not chosen:
            return (None, "No sweep result yet: run `gaia-sim sweep scenarios/sweeps/FILE.toml`, then open "
                    "its directory here.", "message") + (no_update,) * 8
        try:
            rows, params, outcomes = _load(ctx, chosen)
        except (UserError, OSError, ValueError) as err:
            return (None, str(err), "message error") + (no_update,) * 8
        outcome = "final_honest_share" if "final_honest_share" in outcomes else (outcomes or [None])[0]
        x, y = (params + [None, None])[:2]
        msg = f"{chosen}: {len(rows)} rows, swept {', '.join(params) or 'nothing'}"
        return (str(chosen), msg, "message", params, x, params, y, outcomes, outcome, params,
                params[2] if len(params) > 2 else y)

    @app.callback(Output("fig-phase", "figure"), Output("fig-bands", "figure"),
                  Output("sweep-boundary-note", "children"),
                  Input("sweep-dir", "data"), Input("sweep-x", "value"), Input("sweep-y", "value"),
                  Input("sweep-outcome", "value"), Input("sweep-group", "value"))
    def draw(sweep_dir, x, y, outcome, group):
        if not sweep_dir:
            empty = figures.fig_phase_diagram(data.pd.DataFrame(), "x", "y", "outcome")
            return empty, figures.fig_replication_bands(data.pd.DataFrame(), "x", "outcome"), ""
        rows, _, _ = _load(ctx, sweep_dir)
        key = ("boundary", sweep_dir, x, y, len(rows))
        if key not in ctx.cache:
            ctx.cache[key] = data.deterrence_boundary(rows, x, y, sweep_dir)
        boundary, note = ctx.cache[key]
        return (figures.fig_phase_diagram(rows, x, y, outcome, boundary),
                figures.fig_replication_bands(rows, x, outcome, group=group if group != x else None), note)


def _load(ctx, sweep_dir):
    """Sweep rows cached per (path, mtime) so redraws do not re-read Parquet."""
    from pathlib import Path

    path = Path(sweep_dir)
    target = path / "results.parquet" if (path / "results.parquet").exists() else path
    key = ("sweep", str(path), target.stat().st_mtime if target.exists() else 0)
    if key not in ctx.cache:
        ctx.cache[key] = data.load_sweep(path)
    return ctx.cache[key]
