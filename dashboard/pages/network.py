"""Network page: one domain as a graph (networkx spring layout): its operator set, validators and
nodes, coloured by behaviour, slashed operators outlined, from the current run's nodes and events."""

from __future__ import annotations

from dash import Input, Output, State, dcc, html, no_update

from dashboard import data, figures


def layout(ctx):
    return html.Div(
        [
            html.Div(
                className="controls",
                children=[
                    html.Div(
                        className="control",
                        children=[
                            html.Label("Domain"),
                            dcc.Dropdown(
                                id="network-domain", value=0, options=[0], clearable=False, style={"width": "160px"}
                            ),
                        ],
                    ),
                    html.Button("Refresh from current run", id="network-refresh", n_clicks=0),
                ],
            ),
            html.Div(id="network-message", className="message"),
            dcc.Graph(id="fig-network"),
        ]
    )


def register(app, ctx):
    @app.callback(
        Output("fig-network", "figure"),
        Output("network-message", "children"),
        Output("network-domain", "options"),
        Input("tabs", "value"),
        Input("network-refresh", "n_clicks"),
        Input("network-domain", "value"),
        State("current-run", "data"),
        prevent_initial_call=True,
    )
    def draw(tab, _clicks, domain, current):
        if tab != "network":  # drawn when shown, from this tab's run current then
            return no_update, no_update, no_update
        result, label = current_run(ctx, current)
        if result is None or result.nodes.empty:
            return figures.fig_network(data.pd.DataFrame(), data.pd.DataFrame()), "No run yet.", []
        nodes = result.nodes
        domains = sorted(int(d) for d in nodes["domain"].unique())
        domain = domain if domain in domains else domains[0]
        vertices, edges = _graph(ctx, result, label, domain)
        counts = nodes[nodes["domain"] == domain].groupby(["role", "status"]).size()
        summary = ", ".join(f"{n} {role}s {status}" for (role, status), n in counts.items())
        return figures.fig_network(vertices, edges), f"{label}: domain {domain}: {summary}", domains


def _graph(ctx, result, label, domain):
    key = ("network", label, id(result), domain)
    if key not in ctx.cache:
        nodes = result.nodes[result.nodes["domain"] == domain]
        ids = set(nodes["id"])
        events = result.events
        events = events[events["node"].isin(ids)] if not events.empty else events
        ctx.cache[key] = data.network_graph(nodes, events)
    return ctx.cache[key]


def current_run(ctx, ref: dict | None = None):
    """The run the Detector and Network pages show: ``ref`` is the browser tab's ``current-run`` store
    (``{"job": id}`` for the last run finished or stopped in that tab, ``{"run_dir": path}`` for the
    stored run of the scenario picked there), else the initial run. Kept per tab, never per server, so
    one browser never sees another's run. Returns ``(RunResult or None, label)``."""
    from gaia_sim.errors import UserError

    ref = ref or {}
    job = ctx.jobs.get(ref.get("job")) if ctx.jobs is not None else None
    if job is not None and job.done and job.result is not None:
        label = f"{job.id} (stopped at epoch {job.epoch})" if job.stopped else f"{job.id}: run {job.run_dir}"
        return job.result, label
    if ref.get("run_dir"):
        from pathlib import Path

        from gaia_sim.results import read_run

        try:
            key = ("stored", str(ref["run_dir"]), (Path(ref["run_dir"]) / "manifest.json").stat().st_mtime_ns)
            if key not in ctx.cache:
                ctx.cache[key] = read_run(ref["run_dir"])
        except (UserError, OSError, ValueError):
            return ctx.initial_result, _label(ctx.initial_run_dir)
        return ctx.cache[key], _label(ref["run_dir"])
    return ctx.initial_result, _label(ctx.initial_run_dir)


def _label(run_dir) -> str:
    return f"run {run_dir}" if run_dir else "run"
