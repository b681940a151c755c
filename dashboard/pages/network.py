"""Network page: one domain as a graph (networkx spring layout): its operator set, validators and
nodes, coloured by behaviour, slashed operators outlined, from the current run's nodes and events."""

from __future__ import annotations

from dash import Input, Output, dcc, html, no_update

from dashboard import data, figures


def layout(ctx):
    return html.Div([
        html.Div(className="controls", children=[
            html.Div(className="control", children=[html.Label("Domain"),
                                                     dcc.Dropdown(id="network-domain", value=0, options=[0],
                                                                  clearable=False, style={"width": "160px"})]),
            html.Button("Refresh from current run", id="network-refresh", n_clicks=0),
        ]),
        html.Div(id="network-message", className="message"),
        dcc.Graph(id="fig-network"),
    ])


def register(app, ctx):
    @app.callback(Output("fig-network", "figure"), Output("network-message", "children"),
                  Output("network-domain", "options"),
                  Input("tabs", "value"), Input("network-refresh", "n_clicks"), Input("network-domain", "value"),
                  prevent_initial_call=True)
    def draw(tab, _clicks, domain):
        if tab != "network":  # drawn when shown, from the run current then
            return no_update, no_update, no_update
        result, label = current_run(ctx)
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


def current_run(ctx):
    """The run the Detector and Network pages show: the last finished Run-page job, else the initial run."""
    return ctx.cache.get("current", (ctx.initial_result, _label(ctx.initial_run_dir)))


def _label(run_dir) -> str:
    return f"run {run_dir}" if run_dir else "run"
