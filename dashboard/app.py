"""``gaia-sim dashboard``: a Dash app to explore the network's equilibrium.

Six pages (tabs): Run (pick a scenario, change parameters, run in the background, watch the
figures move as epochs arrive), Sweep (phase diagrams and replication bands of a sweep result),
Detector (answer embeddings in 2-D and each node's score and p-value), Network (the domain as a
graph), Compare (pinned runs and sweep slices overlaid and side by side) and Recommend (the outputs
of ``gaia-sim recommend``). Dash and Plotly JavaScript are served by this process (``serve_locally=True``), so the app
works with no network.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: page styles, inlined in the index page (nothing to package or fetch besides Dash's own bundles)
STYLE = """
.controls { display: flex; flex-wrap: wrap; gap: 12px 24px; align-items: flex-end; margin: 8px 0; }
.control { display: flex; flex-direction: column; min-width: 160px; }
.control label { font-weight: 600; font-size: 13px; }
.control small { color: #666; font-size: 11px; max-width: 240px; }
.control input[type=number] { width: 140px; }
.message { margin: 6px 0; font-size: 14px; }
.message.error { color: #b00020; font-weight: 600; }
.margin { background: #f4f6fa; border-left: 3px solid #4a6fa5; padding: 4px 10px; margin: 6px 0; }
.margin p { margin: 2px 0; font-size: 13px; }
.explain { color: #555; font-size: 12px; display: block; margin: 0 4px 8px; }
.advanced > summary { font-weight: 600; cursor: pointer; margin: 6px 0; }
.advanced .group { margin-left: 12px; }
.advanced .controls { align-items: flex-start; }
.advanced .group > summary { cursor: pointer; font-size: 14px; }
.advanced .control .dash-dropdown { width: 180px; }
.table { border-collapse: collapse; font-size: 13px; margin: 4px 0 10px; display: block; overflow-x: auto; max-width: 100%; }
.table th, .table td { border-bottom: 1px solid #ddd; padding: 2px 8px; text-align: left; vertical-align: top; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 8px; }
.grid2 > * { min-width: 0; }
progress { width: 320px; max-width: 100%; height: 18px; }
.control, .control > div, .dash-dropdown { max-width: calc(100vw - 32px); }
/* narrow screens: one figure per row, controls full width */
@media (max-width: 900px) {
  .grid2 { grid-template-columns: 1fr; }
  .controls { gap: 8px 12px; }
}
@media (max-width: 520px) {
  .control { min-width: 0; width: 100%; }
  .control input[type=number] { width: 100%; box-sizing: border-box; }
  h2 { font-size: 18px; }
}
"""

#: Dash's default index template plus the styles above
INDEX = """<!DOCTYPE html>
<html>
  <head>{%metas%}<title>{%title%}</title>{%favicon%}{%css%}<style>/*STYLE*/</style></head>
  <body>{%app_entry%}<footer>{%config%}{%scripts%}{%renderer%}</footer></body>
</html>"""


@dataclass
class AppContext:
    """Everything the pages share; built once by :func:`create_app` (no module-level state)."""

    results_root: Path
    scenarios_dir: Path
    sweep_roots: list[Path]
    initial_scenario: Path
    initial_result: Any = None
    initial_run_dir: Path | None = None
    initial_error: str = ""
    jobs: Any = None
    cache: dict = field(default_factory=dict)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8050, help="port on localhost (default 8050)")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--results", type=Path, default=Path("results"), help="results root (default results/)")
    parser.add_argument(
        "--scenarios",
        type=Path,
        default=Path("scenarios"),
        help="folder of scenario files offered on the Run page (default scenarios/)",
    )
    parser.add_argument(
        "--scenario",
        type=Path,
        default=None,
        help="scenario to open on (default <scenarios>/baseline.toml; run once if no results)",
    )
    parser.add_argument(
        "--sweeps",
        type=Path,
        action="append",
        default=None,
        help="folder searched for sweep results (repeatable; default results/ and experiments/)",
    )
    parser.add_argument("--debug", action="store_true", help="Dash debug mode (dev tools, reloader off)")


def run(args: argparse.Namespace) -> int:
    from gaia_sim.errors import UserError

    scenario = args.scenario or args.scenarios / "baseline.toml"
    if not Path(scenario).exists():
        raise UserError(f"{scenario}: scenario file not found (use --scenario FILE or --scenarios DIR)")
    app = create_app(
        results_root=args.results,
        scenarios_dir=args.scenarios,
        initial_scenario=scenario,
        sweep_roots=args.sweeps or [args.results, Path("experiments")],
    )
    print(f"gaia-sim dashboard: http://{args.host}:{args.port}/  (Ctrl+C to stop)", flush=True)
    app.run(host=args.host, port=args.port, debug=args.debug, use_reloader=False, dev_tools_disable_version_check=True)
    return 0


def create_app(
    results_root: Path = Path("results"),
    scenarios_dir: Path = Path("scenarios"),
    initial_scenario: Path | None = None,
    sweep_roots: list[Path] | None = None,
    load_initial: bool = True,
):
    """Build the Dash app; with ``load_initial`` it opens on the stored (or freshly run) baseline."""
    from dash import Dash, dcc, html

    from dashboard import data
    from dashboard.jobs import JobRegistry
    from dashboard.pages import compare, detector, network, recommend, run_page, sweep
    from gaia_sim.errors import UserError

    results_root, scenarios_dir = Path(results_root), Path(scenarios_dir)
    ctx = AppContext(
        results_root=results_root,
        scenarios_dir=scenarios_dir,
        sweep_roots=[Path(p) for p in (sweep_roots or [results_root, Path("experiments")])],
        initial_scenario=Path(initial_scenario or scenarios_dir / "baseline.toml"),
    )
    if load_initial:
        try:
            ctx.initial_result, ctx.initial_run_dir = data.baseline_run(results_root, ctx.initial_scenario)
        except UserError as err:  # e.g. its answer source is missing: serve anyway, say why on the Run page
            ctx.initial_error = f"Could not open on {ctx.initial_scenario}: {err}"
            print(f"gaia-sim dashboard: {ctx.initial_error}", flush=True)
    ctx.jobs = _job_registry(JobRegistry, results_root)
    app = Dash(
        "dashboard",
        serve_locally=True,
        title="gaia-sim dashboard",
        suppress_callback_exceptions=False,
        include_assets_files=False,
    )
    app.index_string = INDEX.replace("/*STYLE*/", STYLE)
    pages = [
        ("run", "Run", run_page),
        ("sweep", "Sweep", sweep),
        ("detector", "Detector", detector),
        ("network", "Network", network),
        ("compare", "Compare", compare),
        ("recommend", "Recommend", recommend),
    ]
    app.layout = html.Div(
        [
            html.H2("gaia-sim: verifying nodes of a Gaia domain", style={"margin": "8px 0"}),
            # this browser tab's current run (Network and Detector pages): per tab, never shared by the server
            dcc.Store(id="current-run", storage_type="memory"),
            # this tab's browser session: it owns the jobs started here (dashboard.jobs), no other tab sees them
            dcc.Store(id="session", storage_type="session"),
            # runs and sweep slices pinned in this tab for the Compare page
            dcc.Store(id="pins", storage_type="memory", data={"runs": [], "slices": []}),
            dcc.Location(id="session-load", refresh=False),
            dcc.Tabs(
                id="tabs",
                value="run",
                children=[
                    dcc.Tab(label=label, value=key, id=f"tab-{key}", children=module.layout(ctx))
                    for key, label, module in pages
                ],
            ),
        ],
        style={"fontFamily": "sans-serif", "margin": "0 16px"},
    )
    for _, _, module in pages:
        module.register(app, ctx)
    _register_session(app)
    return app


def _job_registry(cls, results_root: Path):
    """Jobs call the runner and the results writer (imported when a run starts, not at build time).

    Each job writes a results root of its own (``JobRegistry.run_root``), so two tabs (or browsers)
    that run at once, even the same design, never write one folder file by file together.
    """

    def simulate(scenario, on_epoch=None):
        from gaia_sim.runner import simulate as run

        return run(scenario, on_epoch=on_epoch)

    def write_run(result, root):
        from gaia_sim.results import write_run as write

        return write(result, root=root)

    return cls(simulate=simulate, write_run=write_run, results_root=results_root)


def _register_session(app) -> None:
    """The tab's session token, made once per browser tab (kept in its session storage across reloads)."""
    from dash import Input, Output, State, no_update

    from dashboard.jobs import new_session

    @app.callback(Output("session", "data"), Input("session-load", "pathname"), State("session", "data"))
    def session(_path, token):
        return no_update if token else new_session()
