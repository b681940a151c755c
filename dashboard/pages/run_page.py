"""Run page: pick a scenario, change its key parameters, run it in the background and watch the
equilibrium form as epochs arrive.

Controls are built from the parameter schema (``gaia_sim.params.field_info``: default, unit, bounds,
docstring) and filled with the chosen scenario's values; nothing here restates a default or a bound.
Input is validated by ``Scenario.with_overrides``; a ``UserError`` is shown as the message and
nothing runs.
"""

from __future__ import annotations

import time
from pathlib import Path

from dash import ALL, Input, Output, State, dcc, html, no_update

from dashboard import data, figures
from gaia_sim.errors import UserError

#: parameter path -> label on the page (defaults, units and bounds come from the schema)
CONTROLS = {
    "staking.node_stake": "stake per node",
    "slashing.slash_fraction": "slash fraction",
    "detector.alpha": "detector alpha",
    "probes.questions_per_epoch": "question budget (per node per epoch)",
    "probes.samples_per_question": "samples per question",
    "slashing.forfeit_revenue": "guilty node forfeits the epoch's revenue",
    "validation.quorum": "verdict quorum (validator stake)",
    "strategy.revision_rate": "revision rate (operators reconsidering per epoch)",
    "epochs": "epochs",
}
MIX_PREFIX = "population."
#: runs estimated longer than this are refused on the page (the command line runs them)
MAX_RUN_S = 3600.0
#: epochs of the timing run that calibrates the estimate for a network size (first epoch not counted)
CALIBRATION_EPOCHS = 4
#: catalogue columns each figure draws (gaia_sim.metrics.CATALOGUE explains them under the figure)
FIGURE_METRICS = {
    "fig-shares": ("share",),
    "fig-stake": ("stake", "balance"),
    "fig-slashes": ("slashed", "wrongly_slashed"),
    "fig-revenue": ("revenue", "cost"),
    "fig-roc": ("flagged", "wrongly_flagged"),
}
#: per-behaviour table column -> the catalogue metric it sums
TABLE_METRICS = {
    "nodes_start": "count",
    "nodes_end": "count",
    "revenue_per_node_epoch": "revenue",
    "cost_per_node_epoch": "cost",
    "profit_per_node_epoch": "profit",
    "slashed_tokens": "slashed",
    "guilty_verdicts": "flagged",
    "probed_node_epochs": "probed",
}
#: export button -> label: the shown run's tables and figures, and the design on the page as a scenario file
EXPORTS = {
    "csv": "tables (CSV)",
    "parquet": "tables (Parquet)",
    "figures": "figures (HTML)",
    "toml": "scenario (TOML)",
}
GRAPHS = ("fig-shares", "fig-stake", "fig-slashes", "fig-revenue", "fig-roc")


def control_paths() -> dict[str, str]:
    """Controls shown: the fixed knobs above plus one per node behaviour of the population mix."""
    from gaia_sim.params import NODE_BEHAVIOURS

    return {**CONTROLS, **{f"{MIX_PREFIX}{b}": f"mix: {b}" for b in NODE_BEHAVIOURS}}


def layout(ctx):
    scenarios = [str(p) for p in data.list_scenarios(ctx.scenarios_dir)]
    initial = str(ctx.initial_scenario)
    result = ctx.initial_result
    return html.Div(
        [
            html.Div(
                className="controls",
                children=[
                    html.Div(
                        className="control",
                        children=[
                            html.Label("Scenario"),
                            dcc.Dropdown(
                                id="run-scenario",
                                value=initial,
                                options=[
                                    {"label": Path(f).name, "value": f} for f in sorted(set(scenarios) | {initial})
                                ],
                                clearable=False,
                                style={"width": "320px"},
                            ),
                        ],
                    ),
                ],
            ),
            html.Div(className="controls", children=[_control(path, label) for path, label in control_paths().items()]),
            advanced_panel(),
            html.Div(
                className="controls",
                children=[
                    html.Button(
                        "Run", id="run-button", n_clicks=0, style={"fontWeight": "bold", "padding": "4px 24px"}
                    ),
                    html.Button("Stop", id="run-stop", n_clicks=0),
                    html.Span(id="run-estimate", className="message"),
                    html.Progress(id="run-progress", value="0", max="1"),
                    html.Span(id="run-status", children="no run started here yet"),
                    html.Button("Pin this run", id="run-pin", n_clicks=0, title="compare it on the Compare page"),
                    html.Span(id="run-pin-message", className="message"),
                ],
            ),
            html.Div(id="run-margin", className="margin"),
            html.Div(
                className="controls",
                children=[
                    html.Span("Export:", className="message"),
                    *[html.Button(label, id=f"export-{key}", n_clicks=0) for key, label in EXPORTS.items()],
                    dcc.Download(id="run-download"),
                    html.Small(
                        "Each figure's camera button saves it as PNG (in the browser; kaleido is not installed, "
                        "so the server exports figures as one HTML page)."
                    ),
                ],
            ),
            dcc.Location(id="run-url", refresh=False),
            html.Div(id="run-shown", className="message", children=_opened_on(ctx)),
            html.Div(
                id="run-message",
                className="message error" if ctx.initial_error else "message",
                children=ctx.initial_error,
            ),
            dcc.Interval(id="run-poll", interval=500, disabled=True),
            dcc.Store(id="run-job"),
            dcc.Store(id="run-version"),
            dcc.Store(id="run-drawn"),
            html.Div(
                className="grid2",
                children=[
                    html.Div([dcc.Graph(id=gid, figure=fig), _explain(gid)])
                    for gid, fig in zip(GRAPHS, _figures(result))
                ],
            ),
            html.Div(id="run-summary", children=_summary(result)),
        ]
    )


def advanced_paths() -> list[str]:
    """Every schema parameter not among the main controls (the advanced panel's)."""
    from gaia_sim.params import leaf_paths

    main = control_paths()
    return [p for p in leaf_paths() if p not in main]


def advanced_panel():
    """Every other parameter of the schema, one folding section per group of ``gaia_sim.params`` (in its
    order, with the group's docstring), each control with its unit, bounds and docstring."""
    from gaia_sim.params import schema_groups

    rest = set(advanced_paths())
    sections = []
    for group, doc, paths in schema_groups():
        shown = [p for p in paths if p in rest]
        if shown:
            sections.append(
                html.Details(
                    [
                        html.Summary(f"[{group or 'scenario'}] {doc}"),
                        html.Div(
                            className="controls", children=[_control(p, p.split(".")[-1], doc=True) for p in shown]
                        ),
                    ],
                    className="group",
                )
            )
    return html.Details(
        [html.Summary(f"Advanced: every other parameter of the schema ({len(rest)}, grouped as in gaia_sim.params)")]
        + sections,
        id="run-advanced",
        className="advanced",
    )


def _control(path: str, label: str, doc: bool = False):
    """One parameter's control (number, yes/no, choice or text) with its unit and bounds; ``doc`` also
    writes its docstring under it (always in the hover title)."""
    from gaia_sim.params import field_info

    info = field_info(path)
    ident = {"type": "param", "path": path}
    if "choices" in info:  # one of a fixed set
        return html.Div(
            className="control",
            title=info["doc"],
            children=[
                html.Label(label),
                dcc.Dropdown(
                    id=ident, value=info["default"], options=list(info["choices"]), clearable=False, searchable=False
                ),
                html.Small(f"{path}: {info['doc']}; one of {', '.join(map(str, info['choices']))}"),
            ],
        )
    if isinstance(info["default"], str):  # free text
        return html.Div(
            className="control",
            title=info["doc"],
            children=[
                html.Label(f"{label} [{info['unit']}]"),
                dcc.Input(id=ident, type="text", debounce=True, value=info["default"]),
                html.Small(f"{path}: {info['doc']}"),
            ],
        )
    if isinstance(info["default"], bool):  # a flag: yes / no
        return html.Div(
            className="control",
            title=info["doc"],
            children=[
                html.Label(label),
                dcc.RadioItems(
                    id={"type": "param", "path": path},
                    value=info["default"],
                    inline=True,
                    options=[{"label": "yes", "value": True}, {"label": "no", "value": False}],
                ),
                html.Small(f"{path}: {info['doc']}; default {'yes' if info['default'] else 'no'}"),
            ],
        )
    bounds = " and ".join(
        f"{sym} {info[k]:g}" for k, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")) if k in info
    )
    unit = f" [{info['unit']}]" if info["unit"] else ""
    return html.Div(
        className="control",
        title=info["doc"],
        children=[
            html.Label(f"{label}{unit}"),
            dcc.Input(
                id={"type": "param", "path": path}, type="number", debounce=False, step="any", value=info["default"]
            ),
            html.Small(
                f"{path}{': ' + info['doc'] if doc else ''}; allowed {bounds or 'any'}; default {info['default']:g}"
            ),
        ],
    )


def _explain(graph_id: str):
    return html.Small(data.explain(FIGURE_METRICS[graph_id]), id=f"explain-{graph_id}", className="explain")


def _opened_on(ctx) -> str:
    return f"figures: stored run {ctx.initial_run_dir}" if ctx.initial_run_dir else "no run to show yet"


def _figures(result, note: str = "no data yet"):
    if result is None:
        return [figures._empty(t, note) for t in ("shares", "stake and balance", "slashes", "revenue and cost", "ROC")]
    return [
        figures.fig_behaviour_shares(result.steps),
        figures.fig_stake_balance(result.steps),
        figures.fig_slashes(result.steps),
        figures.fig_revenue_cost(result.steps),
        figures.fig_roc(result.events),
    ]


#: columns of the per-behaviour table (gaia_sim.summary.behaviour_table) and their headers
BEHAVIOUR_COLUMNS = {
    "behaviour": "behaviour",
    "nodes_start": "nodes at start",
    "nodes_end": "nodes at end",
    "revenue_per_node_epoch": "revenue (tokens per node-epoch)",
    "cost_per_node_epoch": "cost (per node-epoch)",
    "profit_per_node_epoch": "profit (per node-epoch)",
    "slashed_tokens": "slashed (tokens)",
    "guilty_verdicts": "guilty verdicts",
    "probed_node_epochs": "node-epochs probed",
}


def _summary(result):
    """The ``gaia-sim run`` summary (gaia_sim.summary): headline lines with units ('never' and 'n/a',
    not -1 and NaN), one row per behaviour present in the run, and what happened in one sentence."""
    from gaia_sim.summary import behaviour_table, conclusion, headline_lines

    if result is None or not getattr(result, "summary", None):
        return html.Div()
    scenario = result.scenario
    epochs = int(result.steps["epoch"].max()) if not result.steps.empty else 0
    title = f"summary of {scenario.name} ({scenario.hash}, {epochs} epochs)"
    table = behaviour_table(result)
    head = html.Tr([_header(c) for c in table.columns])
    body = [html.Tr([html.Td(_cell(v)) for v in row]) for row in table.itertuples(index=False)]
    return html.Details(
        [
            html.Summary(title),
            html.P("What happened: " + conclusion(result), id="run-conclusion"),
            html.P(deterrence_readout(result), id="run-deterrence"),
            html.Pre("\n".join(headline_lines(result)), id="run-headline"),
            html.Table([head, *body], id="run-summary-table"),
            html.Small(
                "Balances and debts go with a node when it switches behaviour: a row's totals are those of "
                "the nodes in that behaviour at each epoch."
            ),
        ],
        open=True,
    )


def _header(column: str):
    """A table header with the catalogue's explanation of its metric on hover."""
    metric = TABLE_METRICS.get(column)
    return html.Th(BEHAVIOUR_COLUMNS.get(column, column), title=data.explain([metric]) if metric else None)


def _cell(value) -> str:
    import math

    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:,.3f}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def deterrence_readout(result) -> str:
    """One line: what the closed-form condition predicts for this run (gaia_sim.summary.closed_form_line)."""
    from gaia_sim.summary import closed_form_line

    answers, why = data.load_answer_source(result.scenario.answers)
    return closed_form_line(result, answers, unavailable=why)


def overrides_from_inputs(ids: list[dict], values: list) -> dict:
    """``{"group.key": value}`` from the controls, ints kept int where the schema field is an int."""
    from gaia_sim.params import field_info

    out = {}
    for ident, value in zip(ids, values):
        path = ident["path"]
        if value is None or value == "":
            raise UserError(f"{path}: no value (empty or not a number)")
        default = field_info(path)["default"]
        if isinstance(default, str):  # a choice or free text: the schema checks it
            out[path] = str(value)
            continue
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise UserError(f"{path}: yes or no (got {value!r})")
            out[path] = value
            continue
        is_int = isinstance(default, int)
        out[path] = int(value) if is_int and float(value).is_integer() else (value if is_int else float(value))
    return out


def register(app, ctx):
    @app.callback(
        Output({"type": "param", "path": ALL}, "value"),
        Output("run-message", "children", allow_duplicate=True),
        Output("run-message", "className", allow_duplicate=True),
        Output("run-scenario", "value"),
        Input("run-scenario", "value"),
        State({"type": "param", "path": ALL}, "id"),
        State("run-url", "search"),
        State("run-scenario", "options"),
        prevent_initial_call="initial_duplicate",
    )
    def fill_controls(scenario_path, ids, search, options):
        """The scenario file's values. On page load a link (``?scenario=FILE&group.key=value``) picks
        its file and puts its values on top (read once: the page rewrites the address as it changes)."""
        from dash import ctx as trigger

        loading = trigger.triggered_id is None
        link = data.read_query(search) if loading else {"scenario": None}
        linked = next((o["value"] for o in options if o["label"] == link["scenario"]), None)
        values, message, kind = control_values(linked or scenario_path, ids)
        if linked and kind == "message":
            values = [link["overrides"].get(i["path"], v) for i, v in zip(ids, values)]
        picked = linked if linked and linked != scenario_path else no_update
        if loading and kind == "message":  # page load: keep a startup message
            return values, no_update, no_update, picked
        return values, message, kind, picked

    @app.callback(
        Output("run-url", "search"),
        Input("run-scenario", "value"),
        Input({"type": "param", "path": ALL}, "value"),
        State({"type": "param", "path": ALL}, "id"),
        prevent_initial_call=True,
    )
    def share_link(scenario_path, values, ids):
        """The design on the page in the address bar, so a copied link reopens it."""
        try:
            saved, design = _design(scenario_path, ids, values)
        except (UserError, ValueError, TypeError):
            return no_update
        return data.design_query(design, saved, scenario_path)

    @app.callback(
        Output("run-download", "data"),
        *[Input(f"export-{key}", "n_clicks") for key in EXPORTS],
        State("current-run", "data"),
        State("run-scenario", "value"),
        State({"type": "param", "path": ALL}, "id"),
        State({"type": "param", "path": ALL}, "value"),
        prevent_initial_call=True,
    )
    def export(*args):
        from dash import ctx as trigger

        current, scenario_path, ids, values = args[len(EXPORTS) :]
        return export_file(ctx, str(trigger.triggered_id).removeprefix("export-"), current, scenario_path, ids, values)

    run_outputs = [
        Output(c, p, allow_duplicate=True)
        for c, p in (
            ("run-job", "data"),
            ("run-poll", "disabled"),
            ("run-message", "children"),
            ("run-message", "className"),
            ("run-progress", "value"),
            ("run-progress", "max"),
            ("run-status", "children"),
            ("run-version", "data"),
            ("current-run", "data"),
        )
    ]
    run_states = [
        State("run-scenario", "value"),
        State({"type": "param", "path": ALL}, "id"),
        State({"type": "param", "path": ALL}, "value"),
        State("run-job", "data"),
        State("run-version", "data"),
        State("run-drawn", "data"),
        State("session", "data"),
    ]

    # Run, Stop and ticks are three callbacks: Dash drops the answer of a callback still running when the
    # same callback fires again, so a click answered after the next 500 ms tick lost its message under
    # load, and a Stop clicked before Run's answer came back lost the run (the job ran on, unseen).
    @app.callback(*run_outputs, Input("run-button", "n_clicks"), *run_states, prevent_initial_call=True)
    def run(_clicks, *states):
        """Starts a job (or says one is still running)."""
        return run_or_poll(ctx, "run-button", *states)

    @app.callback(
        Output("run-message", "children", allow_duplicate=True),
        Output("run-message", "className", allow_duplicate=True),
        Input("run-stop", "n_clicks"),
        State("run-job", "data"),
        State("session", "data"),
        prevent_initial_call=True,
    )
    def stop(_stops, job_ref, session):
        """Asks this tab's job to stop after its current epoch; the poll shows the outcome."""
        return stop_job(ctx, job_ref, session)

    @app.callback(*run_outputs, Input("run-poll", "n_intervals"), *run_states, prevent_initial_call=True)
    def poll(_ticks, *states):
        """Cheap on purpose (no figures): the job's progress every tick."""
        return run_or_poll(ctx, "run-poll", *states)

    @app.callback(
        Output("pins", "data", allow_duplicate=True),
        Output("run-pin-message", "children"),
        Input("run-pin", "n_clicks"),
        State("current-run", "data"),
        State("pins", "data"),
        prevent_initial_call=True,
    )
    def pin_run(_clicks, current, pins):
        """Pin the run the tab shows (its current run) for the Compare page."""
        return pin_current(ctx, current, pins)

    @app.callback(
        Output("run-estimate", "children"),
        Input("run-scenario", "value"),
        Input({"type": "param", "path": ALL}, "value"),
        State({"type": "param", "path": ALL}, "id"),
    )
    def estimate(scenario_path, values, ids):
        """Run time of the design on the page before Run (a short timing run the first time for a size)."""
        return estimate_text(ctx, scenario_path, ids, values)

    @app.callback(
        Output("run-margin", "children"),
        Input("run-scenario", "value"),
        Input({"type": "param", "path": ALL}, "value"),
        State({"type": "param", "path": ALL}, "id"),
    )
    def margin(scenario_path, values, ids):
        """The closed-form margin of the design on the page, at every edit (no simulation)."""
        return margin_readout(ctx, scenario_path, ids, values)

    @app.callback(
        *[Output(g, "figure") for g in GRAPHS],
        Output("run-summary", "children"),
        Output("run-drawn", "data"),
        Output("run-shown", "children"),
        Output("current-run", "data"),
        Input("run-version", "data"),
        Input("run-scenario", "value"),
        State("run-job", "data"),
        prevent_initial_call=True,
    )
    def redraw(version, scenario_path, job_ref):
        """Figures from the job's latest partial result when the poll reports a new epoch, or from the
        newest stored run of a newly picked scenario."""
        from dash import ctx as trigger

        if trigger.triggered_id == "run-scenario":
            return _stored(ctx, scenario_path, version)
        job = ctx.jobs.get(*_ref(job_ref))
        if job is None or job.result is None or (job.source and job.source != str(scenario_path)):
            return (*_UNCHANGED, version, no_update, no_update)  # another scenario picked since: its figures stay
        result = job.result
        final = version and version.endswith(("done", "stopped"))
        return (
            *_figures(result),
            _summary(result) if final else no_update,
            version,
            f"figures: {job.id} ({job.scenario.name}, {job.scenario.hash})",
            no_update,
        )


def _stored(ctx, scenario_path: str, version):
    """Figures of the stored run of ``scenario_path`` as written (results/<name>/<hash>/), if any; that
    run becomes the tab's current run (``{"run_dir": ...}`` for the ``current-run`` store)."""
    from gaia_sim.results import read_run
    from gaia_sim.scenario import load_scenario

    try:
        scenario = load_scenario(scenario_path)
    except UserError:
        return (*_UNCHANGED, version, no_update, no_update)
    run_dir = data.latest_run(scenario, ctx.results_root)
    if run_dir is None:  # clear the previous scenario's figures (not left on screen)
        note = f"no stored run of {Path(scenario_path).name} yet: press Run"
        return (*_figures(None, note), html.Div(), version, note, no_update)
    key = ("stored", str(run_dir), (run_dir / "manifest.json").stat().st_mtime_ns)  # a rewritten run is re-read
    if key not in ctx.cache:
        ctx.cache[key] = read_run(run_dir)
    result = ctx.cache[key]
    return (*_figures(result), _summary(result), version, f"figures: stored run {run_dir}", {"run_dir": str(run_dir)})


def control_values(scenario_path: str, ids: list[dict]):
    """The chosen scenario's value for each control, or its UserError as the page message."""
    from gaia_sim.scenario import load_scenario

    try:
        values = load_scenario(scenario_path).to_dict()
    except UserError as err:
        return [no_update] * len(ids), str(err), "message error"
    return [_get(values, i["path"]) for i in ids], "", "message"


def _get(values: dict, path: str):
    for part in path.split("."):
        values = values[part]
    return values


_UNCHANGED = (no_update,) * (len(GRAPHS) + 1)


def run_or_poll(ctx, trigger, scenario_path, ids, values, job_ref, version, drawn, session):
    """What a Run click (``trigger`` "run-button") or a poll tick ("run-poll") shows.
    A job is found only with the session that started it (``job_ref``: ``{"job": id, "owner": session}``)."""
    running = ctx.jobs.get(*_ref(job_ref))
    if trigger == "run-button" and running is not None and not running.done:
        return (
            no_update,
            False,
            f"{running.id} is still running (epoch {running.epoch}/{running.total or '?'}); wait for it to finish",
            "message error",
        ) + (no_update,) * 5
    if trigger == "run-button":
        return (*_start(ctx, scenario_path, ids, values, session), no_update)
    # a finished (or stopped) job becomes this tab's current run (Network and Detector pages)
    done = running is not None and running.done and not running.error
    current = {"job": running.id, "owner": running.owner} if done else no_update
    return (*_poll(ctx, running, version, drawn), current)


def stop_job(ctx, job_ref, session) -> tuple[str, str]:
    """Stop this tab's job: the one its page holds, or, when Run's answer has not come back yet, the
    newest job the tab's session started. ``(message, class)``."""
    job = ctx.jobs.get(*_ref(job_ref))
    if job is None or job.done:
        job = ctx.jobs.latest(session)
    if job is None or job.done:
        return "No run of this tab is running: nothing to stop.", "message"
    ctx.jobs.stop(job.id, job.owner)
    return f"{job.id}: stopping after its current epoch (epoch {job.epoch}/{job.total or '?'})", "message"


def pin_current(ctx, current, pins):
    """``(pins with the tab's current run added, message)``: a written run is pinned by its folder, a
    stopped one by its job (this session's only)."""
    from dashboard.pages.compare import pin, resolve_run

    job = ctx.jobs.get(*_ref(current)) if ctx.jobs is not None and current and current.get("job") else None
    if job is not None and job.run_dir is not None:
        ref = {"run_dir": str(job.run_dir)}
    elif current:
        ref = dict(current)
    elif ctx.initial_run_dir is not None:
        ref = {"run_dir": str(ctx.initial_run_dir)}
    else:
        return no_update, "No run to pin yet."
    result = resolve_run(ctx, ref)
    if result is None:
        return no_update, "That run is no longer available."
    pins, added = pin(pins, "runs", ref)
    what = f"{result.scenario.name} ({result.scenario.hash})"
    n = len(pins["runs"])
    return (pins, f"pinned {what}: {n} runs pinned, see Compare") if added else (no_update, f"{what} is pinned already")


def _ref(job_ref) -> tuple[str | None, str | None]:
    """``(job id, owner session)`` of a ``run-job`` / ``current-run`` store value."""
    job_ref = job_ref if isinstance(job_ref, dict) else {}
    return job_ref.get("job"), job_ref.get("owner")


def _start(ctx, scenario_path, ids, values, session=None):
    from gaia_sim.scenario import load_scenario

    try:
        scenario = load_scenario(scenario_path).with_overrides(overrides_from_inputs(ids, values), source="dashboard")
    except (UserError, ValueError, TypeError) as err:
        return (no_update, True, f"Not run: {err}", "message error", no_update, no_update, "not run", no_update)
    seconds, _ = estimate_seconds(ctx, scenario)
    if seconds is not None and seconds > MAX_RUN_S:
        why = (
            f"Not run: about {_duration(seconds)} estimated for {scenario.epochs:,} epochs; the dashboard runs up "
            f"to {_duration(MAX_RUN_S)}. Run it from the command line: gaia-sim run {scenario_path} "
            f"--set epochs={scenario.epochs}"
        )
        return (no_update, True, why, "message error", no_update, no_update, "not run", no_update)
    if not session:  # the tab's session token comes with the page's first callbacks
        return (no_update, True, "Not run: the page is still loading; press Run again.", "message error") + (
            no_update,
        ) * 4
    job = ctx.jobs.start(scenario, source=str(scenario_path), owner=session)
    status = f"{job.id}: starting {scenario.name} ({scenario.epochs} epochs, hash {scenario.hash})"
    return ({"job": job.id, "owner": session}, False, "", "message", "0", str(scenario.epochs), status, f"{job.id}:0")


def _speed_key(scenario) -> tuple:
    """What the time per epoch depends on (not the economics): network size, probes, detector, simulated
    traffic, answer source."""
    n, p, d = scenario.network, scenario.probes, scenario.detector
    return (
        scenario.answers,
        n.domains,
        n.nodes_per_domain,
        n.max_nodes_per_domain,
        n.validators,
        p.questions_per_epoch,
        p.samples_per_question,
        p.probe_fraction,
        d.name,
        d.bootstrap,
        d.sequential,
        scenario.traffic.simulated_requests,
        scenario.validation.independent_probes,
        scenario.validation.canaries_per_epoch,
    )


def estimate_seconds(ctx, scenario) -> tuple[float | None, str]:
    """Rough wall time of ``scenario`` here: seconds per epoch measured on this server (the last
    finished run of the same network size, else a short timing run, cached) times the epochs.
    Returns ``(seconds or None, where the speed comes from)``."""
    from gaia_sim.runner import simulate

    speeds = ctx.cache.setdefault("speed", {})
    key = _speed_key(scenario)
    if key not in speeds:
        stamps = []
        try:
            simulate(
                scenario.with_overrides({"epochs": CALIBRATION_EPOCHS}),
                on_epoch=lambda *_: stamps.append(time.monotonic()),
                on_epoch_interval_s=0,
            )
        except Exception as err:  # noqa: BLE001 - no estimate rather than no page
            return None, f"no estimate ({type(err).__name__}: {err})"
        speeds[key] = ((stamps[-1] - stamps[0]) / (len(stamps) - 1), f"a {CALIBRATION_EPOCHS}-epoch timing run")
    per_epoch, source = speeds[key]
    return per_epoch * scenario.epochs, source


def _duration(seconds: float) -> str:
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{max(seconds, 1):.0f} s"


def _record_speed(ctx, job) -> None:
    """A finished run's seconds per epoch replace the estimate for its network size."""
    if job.total and job.finished:
        ctx.cache.setdefault("speed", {})[_speed_key(job.scenario)] = (
            (job.finished - job.started) / job.total,
            f"the run {job.id}",
        )


def estimate_text(ctx, scenario_path, ids, values) -> str:
    from gaia_sim.scenario import load_scenario

    try:
        scenario = load_scenario(scenario_path).with_overrides(overrides_from_inputs(ids, values), source="dashboard")
    except (UserError, ValueError, TypeError):
        return ""
    seconds, source = estimate_seconds(ctx, scenario)
    if seconds is None:
        return source
    over = f" (over {_duration(MAX_RUN_S)}: use the command line)" if seconds > MAX_RUN_S else ""
    return f"estimated run time: about {_duration(seconds)} for {scenario.epochs:,} epochs{over}; speed from {source}"


def _poll(ctx, job, version, drawn=None):
    """Progress and status of ``job``; ``run-version`` changes (and figures redraw) on a new epoch.

    Back-pressure: while the previous version is still being drawn (``drawn != version``) the
    version is not bumped, so a slow redraw is never superseded and figures keep moving under load;
    the final (done) version is always emitted.
    """
    if job is None:
        return (no_update, True) + (no_update,) * 6
    done = job.done  # read once: the worker sets it last
    elapsed = (job.finished if done else time.monotonic()) - job.started
    status = f"{job.id}: epoch {job.epoch}/{job.total or '?'} ({elapsed:.1f} s)"
    if done and job.stopped:
        return (
            no_update,
            True,
            f"Stopped at epoch {job.epoch}; the partial run is shown, not written.",
            "message",
            str(job.epoch),
            str(job.total or 1),
            f"{status}: stopped",
            f"{job.id}:{job.epoch}:stopped",
        )
    if done and job.error:
        return (no_update, True, f"Run failed: {job.error}", "message error", no_update, no_update, status, no_update)
    if done:
        _record_speed(ctx, job)
        status = f"{status}: done, written to {job.run_dir}"
    new_version = f"{job.id}:{job.epoch}" + (":done" if done else "")
    message = (
        ("Stop came at the last epoch: the run is complete, kept and written." if job.stop_requested else "", "message")
        if done
        else (no_update, no_update)
    )
    ready = done or version is None or drawn == version or not str(version).startswith(f"{job.id}:")
    bump = new_version != version and job.result is not None and ready
    return (no_update, done, *message, str(job.epoch), str(job.total or 1), status, new_version if bump else no_update)


def margin_readout(ctx, scenario_path, ids, values):
    """Before Run: the closed-form deterrence margin, smallest deterring stake and participation band of
    the design on the page (dashboard.data.design_deterrence), with the detector rates it assumes."""
    from gaia_sim.scenario import load_scenario

    try:
        design = load_scenario(scenario_path).with_overrides(overrides_from_inputs(ids, values), source="dashboard")
    except (UserError, ValueError, TypeError):
        return html.Small("Closed form: waiting for valid values.")
    answers, why = _answers(ctx, design.answers)
    if answers is None:
        return html.Small(f"Closed form: unavailable ({why}).")
    rates = data.find_rates(design, scenario_path, ctx.results_root, ctx.sweep_roots, lambda d: _read(ctx, d))
    behaviour, d = data.design_deterrence(design, answers, rates)
    return html.Div([html.P(line) for line in margin_lines(design, behaviour, d, rates)])


def margin_lines(design, behaviour: str, d, rates) -> list[str]:
    """The readout in words: margin and verdict, smallest stake, participation, detector rates."""
    share = design.population.model_dump()[behaviour]
    who = f"{behaviour} nodes" if share > 0 else f"a {behaviour} node (none in the mix: one that would enter)"
    verdict = "DETERRED: cheating does not pay" if d.deters else "NOT deterred: cheating pays"
    stay = "they stay" if d.participation_margin >= 0 else "they LEAVE"
    q = f"alpha = {design.detector.alpha:g}" if rates.fpr is None else f"{rates.fpr:.4f}"
    return [
        f"Before you run (closed form, gaia_sim.deterrence, for {who}): margin {d.margin:+.3f} tokens/epoch -> {verdict}.",
        f"Smallest deterring stake at slash fraction {d.slash_fraction:g} (rule {design.slashing.rule}): "
        f"{_tokens(d.min_stake)} (this design: {d.stake:g}).",
        f"Participation: at stake {d.stake:g} honest nodes keep {d.participation_margin:+.3f} tokens/epoch above "
        f"their outside option after wrongful slashes and the capital cost of stake -> {stay}; stake band that "
        f"deters and keeps them: {_band(*d.stake_band)}.",
        f"Detector rates: p = {rates.tpr:.3f} guilty verdicts per probe of a cheater, q = {q} of an honest node "
        f"({rates.source}).",
    ]


def _band(lo: float, hi: float) -> str:
    if lo <= hi:
        return f"[{_tokens(lo)}, {_tokens(hi, 'no limit')}]"
    deters = "no stake deters" if lo == float("inf") else f"deters from {_tokens(lo)}"
    stays = "honest nodes leave at any stake" if hi == float("-inf") else f"honest nodes stay up to {_tokens(hi)}"
    return f"EMPTY ({deters}; {stays})"


def _tokens(x: float, infinite: str = "none deters") -> str:
    import math

    return f"{x:,.2f}" if math.isfinite(x) else (infinite if x > 0 else "none")


def _answers(ctx, spec: str):
    """The answer source (cached per source; an unavailable one is tried again next time)."""
    key = ("answers", spec)
    if key not in ctx.cache or ctx.cache[key][0] is None:
        ctx.cache[key] = data.load_answer_source(spec)
    return ctx.cache[key]


def _read(ctx, run_dir):
    """A stored run, read once per version of its manifest."""
    from gaia_sim.results import read_run

    key = ("stored", str(run_dir), (Path(run_dir) / "manifest.json").stat().st_mtime_ns)
    if key not in ctx.cache:
        ctx.cache[key] = read_run(run_dir)
    return ctx.cache[key]


def _design(scenario_path, ids, values):
    """``(the scenario file as saved, the design on the page)``; raises UserError on a bad value."""
    from gaia_sim.scenario import load_scenario

    saved = load_scenario(scenario_path)
    return saved, saved.with_overrides(overrides_from_inputs(ids, values), source="dashboard")


def export_file(ctx, what: str, current, scenario_path, ids, values):
    """The file a download button asks for: the shown run's tables or figures, or the design's scenario file."""
    from dash import dcc as downloads

    from dashboard.pages.network import current_run
    from gaia_sim.scenario import to_toml

    if what == "toml":
        try:
            _, design = _design(scenario_path, ids, values)
        except (UserError, ValueError, TypeError):
            return no_update
        note = f"designed on the gaia-sim dashboard from {Path(scenario_path).name}; run: gaia-sim run FILE"
        return downloads.send_string(to_toml(design, note), f"{design.name}-{design.hash}.toml")
    result, _ = current_run(ctx, current)
    if result is None:
        return no_update
    stem = f"{result.scenario.name}-{result.scenario.hash}"
    if what == "figures":
        return downloads.send_string(data.figures_html(_figures(result), stem), f"{stem}-figures.html")
    return downloads.send_bytes(data.run_tables_zip(result, what), f"{stem}-tables-{what}.zip")
