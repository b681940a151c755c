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
            html.Div(
                className="control",
                children=[
                    html.Label("Epoch (the network during it, with that epoch's verdicts)"),
                    dcc.Slider(id="network-epoch", min=1, max=1, step=1, value=None, marks=None),
                ],
            ),
            html.Div(id="network-message", className="message"),
            dcc.Graph(id="fig-network"),
            html.Small(EXPLAIN, id="explain-fig-network", className="explain"),
        ]
    )


#: what the figure shows, in the catalogue's words (gaia_sim.metrics.CATALOGUE)
EXPLAIN = (
    "Orange edges: guilty verdicts of the epoch (validator to node; "
    + data.explain(["flagged"])
    + "); blue: other probes and verdicts of the epoch; thick outline: slashed by then ("
    + data.explain(["slashed"])
    + "); faded: jailed, ejected or exited by then."
)


def register(app, ctx):
    @app.callback(
        Output("fig-network", "figure"),
        Output("network-message", "children"),
        Output("network-domain", "options"),
        Output("network-epoch", "max"),
        Output("network-epoch", "value"),
        Input("tabs", "value"),
        Input("network-refresh", "n_clicks"),
        Input("network-domain", "value"),
        Input("network-epoch", "value"),
        State("current-run", "data"),
        prevent_initial_call=True,
    )
    def draw(tab, _clicks, domain, epoch, current):
        """Drawn when shown (at the run's last epoch), from this tab's run current then; the slider moves in time."""
        from dash import ctx as trigger

        if tab != "network":
            return (no_update,) * 5
        result, label = current_run(ctx, current)
        if result is None or result.nodes.empty:
            return figures.fig_network(data.pd.DataFrame(), data.pd.DataFrame()), "No run yet.", [], 1, None
        last = last_epoch(result)
        epoch = epoch if trigger.triggered_id in ("network-epoch", "network-domain") and epoch else last
        domains = sorted(int(d) for d in result.nodes["domain"].unique())
        domain = domain if domain in domains else domains[0]
        vertices, edges = _graph(ctx, result, label, domain, min(epoch, last))
        shown = vertices[vertices["kind"] != "operator_set"]
        counts = shown.groupby(["kind", "status"]).size()
        summary = ", ".join(f"{n} {role}s {status}" for (role, status), n in counts.items())
        guilty = int((edges["kind"] == "guilty verdict").sum()) if not edges.empty else 0
        message = f"{label}: domain {domain}, epoch {epoch}/{last}: {summary}; {guilty} guilty verdicts this epoch"
        return figures.fig_network(vertices, edges), message, domains, last, epoch


def last_epoch(result) -> int:
    return int(result.steps["epoch"].max()) if not result.steps.empty else 1


def _graph(ctx, result, label, domain, epoch):
    """The domain during ``epoch``: nodes as they were (the recorded end state at the last epoch) and
    that epoch's probes and verdicts."""
    key = ("network", label, id(result), domain, epoch)
    if key not in ctx.cache:
        nodes = result.nodes[result.nodes["domain"] == domain]
        events = result.events
        if not events.empty:
            events = events[events["node"].isin(set(nodes["id"])) & (events["epoch"] == epoch)]
        if epoch < last_epoch(result):
            nodes = data.nodes_at_epoch(nodes, result.events, epoch)
        ctx.cache[key] = data.network_graph(nodes, events)
    return ctx.cache[key]


def current_run(ctx, ref: dict | None = None):
    """The run the Detector and Network pages show: ``ref`` is the browser tab's ``current-run`` store
    (``{"job": id, "owner": session}`` for the last run finished or stopped in that tab (found only with
    the session that started it), ``{"run_dir": path}`` for the
    stored run of the scenario picked there), else the initial run. Kept per tab, never per server, so
    one browser never sees another's run. Returns ``(RunResult or None, label)``."""
    from gaia_sim.errors import UserError

    ref = ref or {}
    job = ctx.jobs.get(ref.get("job"), ref.get("owner")) if ctx.jobs is not None else None
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
