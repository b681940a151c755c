"""The Dash app without a browser: assets served locally, controls from the schema, bad input refused,
background jobs, the CLI entry point."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from dashboard import app as dash_app
from dashboard.jobs import JobRegistry
from dashboard.pages import run_page
from gaia_sim.errors import UserError

SCENARIO = (
    'name = "baseline"\nseed = 3\nepochs = 3\nanswers = "stand-in"\n'
    "[network]\nnodes_per_domain = 8\nvalidators = 3\n[population]\nhonest = 0.75\nlazy = 0.25\n"
)


@pytest.fixture
def scenarios(tmp_path) -> Path:
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "baseline.toml").write_text(SCENARIO)
    (tmp_path / "scenarios" / "lazy.toml").write_text(
        SCENARIO.replace("0.75", "0.5").replace("0.25", "0.5").replace('"baseline"', '"lazy"')
    )
    return tmp_path / "scenarios"


def test_index_page_loads_only_local_assets(scenarios, tmp_path):
    app = dash_app.create_app(tmp_path / "results", scenarios, load_initial=False)
    client = app.server.test_client()
    page = client.get("/").data.decode()
    urls = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert urls and all(u.startswith("/") for u in urls), urls
    assert app.config.serve_locally and app.scripts.config.serve_locally
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert client.get("/_dash-layout").status_code == 200


def test_controls_come_from_the_schema():
    from gaia_sim.params import NODE_BEHAVIOURS, field_info

    paths = run_page.control_paths()
    assert {"staking.node_stake", "slashing.slash_fraction", "detector.alpha", "probes.questions_per_epoch"} <= set(
        paths
    )
    assert {f"population.{b}" for b in NODE_BEHAVIOURS} <= set(paths)
    control = run_page._control("detector.alpha", "alpha")
    box = control.children[1]
    assert box.value == field_info("detector.alpha")["default"]
    assert "<= 1" in control.children[2].children


def _inputs(**changes):
    ids = [{"type": "param", "path": p} for p in run_page.control_paths()]
    from gaia_sim.scenario import Scenario

    values = Scenario().to_dict()
    vals = [run_page._get(values, i["path"]) for i in ids]
    for k, v in changes.items():
        vals[[i["path"] for i in ids].index(k.replace("__", "."))] = v
    return ids, vals


@pytest.mark.parametrize(
    "changes, needle",
    [
        ({"staking__node_stake": -5}, "staking.node_stake"),
        ({"detector__alpha": 1.5}, "detector.alpha"),
        ({"population__honest": 0.5}, "sum to 1"),
        ({"epochs": None}, "epochs: no value"),
    ],
)
def test_bad_input_is_refused_with_the_user_error_text(scenarios, changes, needle):
    ctx = dash_app.AppContext(scenarios.parent / "results", scenarios, [], scenarios / "baseline.toml")
    ctx.jobs = _FailIfStarted()
    out = run_page._start(ctx, str(scenarios / "baseline.toml"), *_inputs(**changes))
    assert out[3] == "message error" and needle in out[2], out[2]
    assert out[1] is True  # polling stays off: nothing runs


class _FailIfStarted:
    def start(self, scenario, source=None, owner=""):
        raise AssertionError("a refused input must not start a run")


def test_int_fields_stay_int_and_floats_become_float():
    ids = [{"type": "param", "path": "epochs"}, {"type": "param", "path": "staking.node_stake"}]
    assert run_page.overrides_from_inputs(ids, [5.0, 100]) == {"epochs": 5, "staking.node_stake": 100.0}
    with pytest.raises(UserError):
        run_page.overrides_from_inputs(ids, [None, 100])


def test_flags_stay_bool_and_quorum_and_revision_rate_are_controls():
    assert {"slashing.forfeit_revenue", "validation.quorum", "strategy.revision_rate"} <= set(run_page.control_paths())
    ids = [{"type": "param", "path": "slashing.forfeit_revenue"}, {"type": "param", "path": "validation.quorum"}]
    assert run_page.overrides_from_inputs(ids, [False, 0.5]) == {
        "slashing.forfeit_revenue": False,
        "validation.quorum": 0.5,
    }
    with pytest.raises(UserError, match="yes or no"):
        run_page.overrides_from_inputs(ids, [1.0, 0.5])
    assert run_page._control("slashing.forfeit_revenue", "forfeit").children[1].value is True


def test_scenario_choice_fills_the_controls(scenarios):
    ids = [{"type": "param", "path": p} for p in run_page.control_paths()]
    values, message, _ = run_page.control_values(str(scenarios / "lazy.toml"), ids)
    got = dict(zip(run_page.control_paths(), values))
    assert got["population.lazy"] == 0.5 and got["epochs"] == 3 and message == ""
    _, message, kind = run_page.control_values(str(scenarios / "nope.toml"), ids)
    assert "no such scenario file" in message and kind == "message error"


def test_job_runs_in_background_reports_epochs_and_writes(scenarios, tmp_path):
    from gaia_sim.results import write_run
    from gaia_sim.runner import simulate
    from gaia_sim.scenario import load_scenario

    jobs = JobRegistry(simulate, write_run, tmp_path / "results")
    seen = []
    job = jobs.start(load_scenario(scenarios / "baseline.toml"))
    while not job.done:
        seen.append(job.epoch)
        time.sleep(0.01)
    assert job.error is None and job.epoch == job.total == 3
    assert (job.run_dir / "steps.parquet").exists()
    assert job.result.steps["epoch"].max() == 3
    assert seen == sorted(seen)


def test_failed_job_reports_its_error(tmp_path):
    def boom(scenario, on_epoch=None):
        on_epoch(1, 2, None)
        raise UserError("answers = 'x': not available")

    job = JobRegistry(boom, None, tmp_path).start(object())
    while not job.done:
        time.sleep(0.01)
    assert job.error == "answers = 'x': not available" and job.epoch == 1


def test_cli_dashboard_missing_scenario_exits_2(tmp_path, capsys):
    from gaia_sim.cli import main

    code = main(["dashboard", "--scenarios", str(tmp_path), "--results", str(tmp_path / "r")])
    assert code == 2
    assert "baseline.toml: scenario file not found" in capsys.readouterr().err


def test_app_still_serves_when_the_baseline_cannot_run(scenarios, tmp_path):
    (scenarios / "baseline.toml").write_text(SCENARIO.replace('"stand-in"', '"/nonexistent/bank"'))
    app = dash_app.create_app(tmp_path / "results", scenarios)
    layout = app.server.test_client().get("/_dash-layout").data.decode()
    assert "Could not open on" in layout and "nonexistent" in layout


def test_a_stopped_job_ends_after_the_current_epoch_and_is_not_written(tmp_path):
    import threading

    gate, written = threading.Event(), []

    def slow(scenario, on_epoch=None):
        for epoch in range(1, 1001):
            on_epoch(epoch, 1000, f"partial {epoch}")
            gate.wait(0.01)
        return "full"

    jobs = JobRegistry(slow, lambda result, root: written.append(result), tmp_path)
    job = jobs.start(object())
    while job.epoch < 3:
        time.sleep(0.005)
    jobs.stop(job.id, "")
    while not job.done:
        time.sleep(0.005)
    assert job.stopped and job.error is None and 3 <= job.epoch < 1000
    assert job.result == f"partial {job.epoch}" and written == []


def test_stop_on_the_last_epoch_keeps_and_writes_the_complete_run(tmp_path):
    written = []
    jobs = JobRegistry(None, lambda result, root: written.append(result) or tmp_path, tmp_path)

    def last_epoch_stopped(scenario, on_epoch=None):
        for epoch in (1, 2, 3):
            if epoch == 3:
                jobs.stop("job1", "")  # Stop pressed while the last epoch ran
            on_epoch(epoch, 3, f"partial {epoch}")
        return "full"

    jobs._simulate = last_epoch_stopped
    job = jobs.start(object())
    while not job.done:
        time.sleep(0.005)
    assert not job.stopped and job.error is None and job.result == "full" and written == ["full"]


def test_run_time_estimate_and_refusal_of_a_run_of_hours(scenarios, tmp_path):
    from gaia_sim.scenario import load_scenario

    ctx = dash_app.AppContext(tmp_path / "results", scenarios, [], scenarios / "baseline.toml")
    ctx.jobs = _FailIfStarted()
    scenario = load_scenario(scenarios / "baseline.toml")
    seconds, source = run_page.estimate_seconds(ctx, scenario)
    assert 0 < seconds < 60 and "timing run" in source
    ctx.cache["speed"][run_page._speed_key(scenario)] = (0.1, "a test")
    assert run_page.estimate_seconds(ctx, scenario.with_overrides({"epochs": 1000}))[0] == pytest.approx(100)
    out = run_page._start(ctx, str(scenarios / "baseline.toml"), *_inputs(epochs=1_000_000))
    assert out[3] == "message error" and "command line" in out[2] and "epochs=1000000" in out[2], out[2]


def test_picking_a_scenario_shows_its_stored_run(scenarios, tmp_path):
    from gaia_sim.results import write_run
    from gaia_sim.runner import simulate
    from gaia_sim.scenario import load_scenario

    ctx = dash_app.AppContext(tmp_path / "results", scenarios, [], scenarios / "baseline.toml")
    out = run_page._stored(ctx, str(scenarios / "lazy.toml"), "v")
    assert out[-2] == "no stored run of lazy.toml yet: press Run" and out[-1] is run_page.no_update
    assert out[0].data == () and "press Run" in out[0].layout.annotations[0].text  # the old figures cleared
    run_dir = write_run(simulate(load_scenario(scenarios / "lazy.toml")), root=tmp_path / "results")
    out = run_page._stored(ctx, str(scenarios / "lazy.toml"), "v")
    assert str(run_dir) in out[-2]
    assert list(out[0].data[0].x) == [1, 2, 3]  # the stored 3-epoch run's shares
    assert out[-1] == {"run_dir": str(run_dir)}  # the tab's current run (current-run store), not the server's
    from dashboard.pages.network import current_run

    assert current_run(ctx, out[-1])[1] == f"run {run_dir}"
    assert current_run(ctx, None)[0] is ctx.initial_result


def test_two_sessions_run_the_same_design_at_once_into_folders_of_their_own(scenarios, tmp_path):
    """Issue 17 item 7: a job is found only with the session that started it; every run writes a folder of
    its own (two tabs running one design at once once wrote one folder file by file together)."""
    from gaia_sim.scenario import load_scenario

    jobs = dash_app._job_registry(JobRegistry, tmp_path / "results")
    scenario = load_scenario(scenarios / "baseline.toml")
    a, b = (jobs.start(scenario, owner=token) for token in ("a" * 32, "b" * 32))
    while not (a.done and b.done):
        time.sleep(0.01)
    assert a.error is None and b.error is None
    assert a.run_dir != b.run_dir and a.run_dir.parent.parent.parent.name == "dashboard-runs"
    for job in (a, b):
        assert (job.run_dir / "manifest.json").exists() and job.run_dir.name == scenario.hash
    assert (a.run_dir / "steps.parquet").read_bytes() == (b.run_dir / "steps.parquet").read_bytes()  # same seed
    assert jobs.get(a.id, "a" * 32) is a and jobs.get(a.id, "b" * 32) is None and jobs.get(a.id, None) is None
    assert jobs.stop(b.id, "a" * 32) is None
    from dashboard.pages.network import current_run

    ctx = dash_app.AppContext(tmp_path / "results", scenarios, [], scenarios / "baseline.toml", jobs=jobs)
    assert current_run(ctx, {"job": a.id, "owner": "a" * 32})[0] is a.result
    assert current_run(ctx, {"job": a.id, "owner": "b" * 32})[0] is None  # another session: the opening run


def test_a_run_is_refused_until_the_page_has_its_session(scenarios, tmp_path, monkeypatch):
    ctx = dash_app.AppContext(tmp_path / "results", scenarios, [], scenarios / "baseline.toml")
    ctx.jobs = _FailIfStarted()
    monkeypatch.setattr(run_page, "estimate_seconds", lambda ctx, scenario: (1.0, "a test"))
    out = run_page._start(ctx, str(scenarios / "baseline.toml"), *_inputs(), None)
    assert out[3] == "message error" and "still loading" in out[2]


def test_run_summary_says_what_the_closed_form_predicts(scenarios):
    from gaia_sim.runner import simulate
    from gaia_sim.scenario import load_scenario

    lazy = simulate(load_scenario(scenarios / "lazy.toml").with_overrides({"epochs": 6}))
    line = run_page.deterrence_readout(lazy)
    assert line.startswith("Closed form (gaia_sim.deterrence") and "margin" in line and "for lazy" in line
    assert line.endswith(("agrees.", "revision_rate.", "e002, e008)."))
    honest = simulate(
        load_scenario(scenarios / "baseline.toml").with_overrides(
            {"population.honest": 1.0, "population.lazy": 0.0, "epochs": 2}
        )
    )
    assert run_page.deterrence_readout(honest) == "Closed form: no cheating behaviour in this scenario's mix."


def test_margin_before_a_run_follows_each_edit_without_simulating(scenarios, monkeypatch):
    """Issue 17 item 2: margin, smallest stake and participation band at every edit; no simulation."""
    import gaia_sim.runner

    monkeypatch.setattr(gaia_sim.runner, "simulate", lambda *a, **k: pytest.fail("the margin ran a simulation"))
    ctx = dash_app.AppContext(scenarios.parent / "results", scenarios, [scenarios.parent], scenarios / "lazy.toml")
    ids, vals = _inputs(population__honest=0.5, population__lazy=0.5)
    texts = []
    for stake in (10.0, 10000.0):
        vals[[i["path"] for i in ids].index("staking.node_stake")] = stake
        out = run_page.margin_readout(ctx, str(scenarios / "lazy.toml"), ids, vals)
        texts.append(" ".join(p.children for p in out.children))
    for text in texts:
        assert "margin" in text and "Smallest deterring stake" in text and "stake band" in text, text
        assert "p = 0.000" in text and "assumed" in text and "pessimistic" in text, text
    assert "at stake 10 " in texts[0] and "at stake 10000 " in texts[1]
    bad = run_page.margin_readout(ctx, str(scenarios / "lazy.toml"), *_inputs(staking__node_stake=-5))
    assert "waiting for valid values" in bad.children


# --------------------------------------------------------------------------- issue 17 item 5: export and share
def test_scenario_export_is_a_file_gaia_sim_run_accepts(scenarios, tmp_path):
    from gaia_sim.runner import simulate
    from gaia_sim.scenario import load_scenario

    ctx = dash_app.AppContext(tmp_path / "results", scenarios, [], scenarios / "baseline.toml")
    ids, vals = _inputs(staking__node_stake=321.0, slashing__forfeit_revenue=False, epochs=2)
    vals[[i["path"] for i in ids].index("population.honest")] = 0.75
    vals[[i["path"] for i in ids].index("population.lazy")] = 0.25
    sent = run_page.export_file(ctx, "toml", None, str(scenarios / "baseline.toml"), ids, vals)
    design = load_scenario(scenarios / "baseline.toml").with_overrides(run_page.overrides_from_inputs(ids, vals))
    assert sent["filename"] == f"baseline-{design.hash}.toml"
    (tmp_path / "design.toml").write_text(sent["content"])
    loaded = load_scenario(tmp_path / "design.toml")
    assert loaded.hash == design.hash and loaded.staking.node_stake == 321.0
    assert not loaded.slashing.forfeit_revenue
    assert int(simulate(loaded).steps["epoch"].max()) == 2


def test_run_tables_and_figures_export(scenarios, tmp_path):
    import base64
    import io
    import zipfile

    import pandas as pd

    from dashboard import data
    from gaia_sim.runner import simulate
    from gaia_sim.scenario import load_scenario

    result = simulate(load_scenario(scenarios / "baseline.toml"))
    for fmt in ("csv", "parquet"):
        archive = zipfile.ZipFile(io.BytesIO(data.run_tables_zip(result, fmt)))
        assert sorted(archive.namelist()) == sorted([f"{t}.{fmt}" for t in data.RUN_TABLES] + ["scenario.toml"])
        read = pd.read_csv if fmt == "csv" else pd.read_parquet
        steps = read(io.BytesIO(archive.read(f"steps.{fmt}")))
        assert len(steps) == len(result.steps) and list(steps.columns) == list(result.steps.columns)
    ctx = dash_app.AppContext(tmp_path / "results", scenarios, [], scenarios / "baseline.toml")
    ctx.initial_result = result
    sent = run_page.export_file(ctx, "parquet", None, None, [], [])
    assert sent["filename"].endswith("-tables-parquet.zip") and base64.b64decode(sent["content"])[:2] == b"PK"
    page = run_page.export_file(ctx, "figures", None, None, [], [])["content"]
    assert page.count('class="plotly-graph-div"') == len(run_page.GRAPHS) and "Behaviour shares" in page
    assert "<script src=" not in page and "plotly.js v" in page  # plotly.js inlined: opens with no network


def test_design_link_round_trip(scenarios):
    from dashboard import data
    from gaia_sim.scenario import load_scenario

    saved = load_scenario(scenarios / "baseline.toml")
    design = saved.with_overrides({"staking.node_stake": 250.0, "slashing.forfeit_revenue": False})
    query = data.design_query(design, saved, scenarios / "baseline.toml")
    assert query.startswith("?scenario=baseline.toml&") and "detector.alpha" not in query  # only what differs
    opened = data.read_query(query)
    assert opened == {
        "scenario": "baseline.toml",
        "overrides": {"staking.node_stake": 250.0, "slashing.forfeit_revenue": False},
    }
    assert saved.with_overrides(opened["overrides"]).hash == design.hash


# --------------------------------------------------------------------------- issue 17 item 3: compare designs
def test_pinned_runs_and_slices_are_compared_labelled_by_what_differs(scenarios, tmp_path):
    from dashboard import data
    from dashboard.pages import compare, sweep
    from gaia_sim.results import write_run
    from gaia_sim.runner import simulate
    from gaia_sim.scenario import load_scenario

    base = load_scenario(scenarios / "baseline.toml")
    dirs = [
        write_run(simulate(base.with_overrides({"staking.node_stake": s})), root=tmp_path / "results")
        for s in (10.0, 900.0)
    ]
    ctx = dash_app.AppContext(tmp_path / "results", scenarios, [], scenarios / "baseline.toml")
    ctx.initial_run_dir = dirs[0]
    pins, message = run_page.pin_current(ctx, None, None)  # nothing picked in the tab: its opening run
    assert pins["runs"] == [{"run_dir": str(dirs[0])}] and "pinned baseline" in message
    assert run_page.pin_current(ctx, {"run_dir": str(dirs[0])}, pins)[0] is run_page.no_update  # pinned already
    pins, _ = run_page.pin_current(ctx, {"run_dir": str(dirs[1])}, pins)
    assert data.compare_labels([load_scenario(scenarios / "baseline.toml").to_dict()] * 2) == ["#1", "#2"]
    sweep_dir = tmp_path / "sweep"
    sweep_dir.mkdir()
    rows = [
        {"point": i, "replicate": 0, "staking.node_stake": s, "slashing.slash_fraction": 0.5, "final_honest_share": s}
        for i, s in enumerate((0.0, 0.5, 1.0))
    ]
    data.pd.DataFrame(rows).to_parquet(sweep_dir / "results.parquet")
    pins, _ = sweep.pin_slice(pins, str(sweep_dir), "staking.node_stake", "final_honest_share", None)
    runs, slices, side, differ, message = compare.compare(ctx, pins, "share", "honest")
    names = [t.name for t in runs.data]
    assert names == ["#1 staking.node_stake=10.0", "#2 staking.node_stake=900.0"], names
    assert list(runs.data[0].x) == [1, 2, 3] and len(slices.data) == 1 and len(side) == 3
    assert "2 runs and 1 sweep slices" in message and "staking.node_stake" in str(differ)
    assert list(slices.data[0].y) == [0.0, 0.5, 1.0]
    pins["runs"].append({"run_dir": str(tmp_path / "gone")})
    assert "1 pinned item(s) no longer available" in compare.compare(ctx, pins, "share", "honest")[4]


def test_pins_keep_the_newest_few():
    from dashboard.pages import compare

    pins = None
    for i in range(compare.MAX_PINS + 2):
        pins, added = compare.pin(pins, "runs", {"run_dir": str(i)})
        assert added
    assert [p["run_dir"] for p in pins["runs"]] == [str(i) for i in range(2, compare.MAX_PINS + 2)]


# --------------------------------------------------------------------------- issue 17 item 4: every parameter
def _control_ids(component) -> list[str]:
    found = []
    ident = getattr(component, "id", None)
    if isinstance(ident, dict) and ident.get("type") == "param":
        found.append(ident["path"])
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children] if children is not None else []:
        found += _control_ids(child)
    return found


def test_every_schema_parameter_has_one_control_grouped_as_in_the_schema(scenarios, tmp_path):
    from dash import dcc

    from gaia_sim.params import field_info, leaf_paths, schema_groups
    from gaia_sim.scenario import load_scenario

    ctx = dash_app.AppContext(tmp_path / "results", scenarios, [], scenarios / "baseline.toml")
    paths = _control_ids(run_page.layout(ctx))
    assert sorted(paths) == sorted(leaf_paths())  # each exactly once
    panel = run_page.advanced_panel()
    sections = [d.children[0].children for d in panel.children[1:]]
    expected = [g or "scenario" for g, _, own in schema_groups() if set(own) - set(run_page.control_paths())]
    assert [s.split("]")[0][1:] for s in sections] == expected
    rule = run_page._control("slashing.rule", "rule", doc=True)
    assert isinstance(rule.children[1], dcc.Dropdown) and rule.children[1].options == list(
        field_info("slashing.rule")["choices"]
    )
    jail = run_page._control("slashing.jail_epochs", "jail_epochs", doc=True).children
    assert "[epochs]" in jail[0].children and field_info("slashing.jail_epochs")["doc"] in jail[2].children
    ids = [{"type": "param", "path": p} for p in ("slashing.rule", "name", "slashing.jail_epochs")]
    overrides = run_page.overrides_from_inputs(ids, ["graduated", "mine", 3.0])
    assert overrides == {"slashing.rule": "graduated", "name": "mine", "slashing.jail_epochs": 3}
    design = load_scenario(scenarios / "baseline.toml").with_overrides(overrides)
    assert design.slashing.rule == "graduated" and design.name == "mine"
    with pytest.raises(UserError, match="slashing.rule"):
        load_scenario(scenarios / "baseline.toml").with_overrides(
            run_page.overrides_from_inputs(ids[:1], ["nope"]), source="dashboard"
        )


def _ids(component) -> list[str]:
    children = getattr(component, "children", None)
    children = children if isinstance(children, list) else [children] if children is not None else []
    return [i for i in [getattr(component, "id", None)] if isinstance(i, str)] + [i for c in children for i in _ids(c)]


def test_sweep_page_shows_the_prim_boxes_or_how_to_make_them(tmp_path):
    """Issue 17 item 7: a sweep's scenario discovery (report/prim.json) as a table and figure; none: the
    command that writes it; malformed: one message."""
    from test_dashboard_data import SLASH, STAKE, _grid_sweep, write_prim

    from dashboard.pages.sweep import discovery_view

    sweep = _grid_sweep(tmp_path / "s")
    body, message, kind = discovery_view(str(sweep))
    assert f"gaia-sim report {sweep} --discover" in message and kind == "message"
    write_prim(sweep, lambda r: (r[STAKE] <= 5) & (r[SLASH] <= 0.2))
    body, message, kind = discovery_view(str(sweep))
    assert message.startswith("1 PRIM box where cheating pays") and kind == "message"
    ids = _ids(body)
    assert {"sweep-prim-outcome", "sweep-prim-table", "fig-prim", "explain-fig-prim"} <= set(ids), ids
    (sweep / "report" / "prim.json").write_text('{"outcome": "cheating_pays"}')
    body, message, kind = discovery_view(str(sweep))
    assert "missing definition" in message and "prim.json" in message and kind == "message error"


def test_stop_before_runs_answer_stops_the_sessions_newest_job_and_no_other(tmp_path):
    """Stop clicked before the page heard back from Run (its job id not yet on the page) stops the
    newest job of the tab's session, never another session's."""
    import threading
    from types import SimpleNamespace

    from dashboard.pages.run_page import stop_job

    gate = threading.Event()

    def slow(scenario, on_epoch=None):
        for epoch in range(1, 1001):
            on_epoch(epoch, 1000, f"partial {epoch}")
            gate.wait(0.01)
        return "full"

    jobs = JobRegistry(slow, lambda result, root: None, tmp_path)
    ctx = SimpleNamespace(jobs=jobs)
    other = jobs.start(object(), owner="someone-else")
    assert stop_job(ctx, None, "mine")[0].startswith("No run of this tab")
    mine = jobs.start(object(), owner="mine")
    message, _ = stop_job(ctx, None, "mine")  # the page holds no job yet
    assert message.startswith(f"{mine.id}: stopping")
    while not mine.done:
        time.sleep(0.005)
    assert mine.stopped and not other.stop_requested
    jobs.stop(other.id, "someone-else")
