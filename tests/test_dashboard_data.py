"""Dashboard data preparation: sweep loading, network graph, PCA (no Dash server needed)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard import data, figures
from gaia_sim.errors import UserError


def _nodes() -> pd.DataFrame:
    rows = [
        dict(
            id=i,
            role="node",
            domain=i % 2,
            behaviour_initial=b,
            behaviour=b if i != 3 else "honest",
            status="ejected" if i == 1 else "active",
            stake=100.0,
            balance=5.0,
            slashed_total=50.0 if i in (1, 3) else 0.0,
            ring=0 if b == "colluding" else -1,
        )
        for i, b in enumerate(
            ["honest", "lazy", "colluding", "colluding", "colluding", "colluding", "honest", "honest"]
        )
    ]
    rows += [
        dict(
            id=100 + v,
            role="validator",
            domain=v % 2,
            behaviour_initial="honest",
            behaviour=b,
            status="active",
            stake=500.0,
            balance=1.0,
            slashed_total=0.0,
            ring=-1,
        )
        for v, b in enumerate(["colluding", "honest"])
    ]
    return pd.DataFrame(rows)


def _events() -> pd.DataFrame:
    return pd.DataFrame(
        dict(
            epoch=1,
            kind="probe",
            node=[0, 6, 7, 1],
            validator=[100, 100, 100, 101],
            behaviour="honest",
            amount=0.0,
            score=np.nan,
            p_value=np.nan,
            flagged=False,
            detail="",
        )
    )


def test_network_graph_has_sets_members_probes_and_ring():
    vertices, edges = data.network_graph(_nodes(), _events())
    assert (vertices["kind"] == "operator_set").sum() == 2
    assert set(vertices["id"]) >= {"set0", "set1", "n0", "v100"}
    assert vertices.set_index("id").loc["n3", "slashed"]
    assert not vertices.set_index("id").loc["n0", "slashed"]
    assert vertices.set_index("id").loc["n3", "behaviour"] == "honest"
    counts = edges["kind"].value_counts()
    assert counts["member"] == 10 and counts["probe"] == 4
    assert counts["ring"] == 4  # ring of the four colluders, closed
    assert counts["shield"] == 4  # the colluding validator of domain 0 shields every ring member
    assert np.isfinite(vertices[["x", "y"]].to_numpy()).all()


def test_network_layout_is_deterministic():
    a, _ = data.network_graph(_nodes(), _events(), seed=3)
    b, _ = data.network_graph(_nodes(), _events(), seed=3)
    pd.testing.assert_frame_equal(a, b)


def test_pca_2d_recovers_the_dominant_direction():
    rng = np.random.default_rng(0)
    t = rng.normal(size=300)
    x = np.outer(t, [3.0, 4.0, 0, 0]) / 5 * 10 + rng.normal(scale=0.1, size=(300, 4))
    xy = data.pca_2d(x)
    assert xy.shape == (300, 2)
    assert abs(np.corrcoef(xy[:, 0], t)[0, 1]) > 0.99
    assert xy[:, 0].var() > 50 * xy[:, 1].var()


def _write_sweep(root, with_toml=True):
    root.mkdir(parents=True)
    rows = [
        dict(
            point=i,
            replicate=r,
            seed=r,
            scenario_hash=f"h{i}{r}",
            **{"staking.node_stake": s, "slashing.slash_fraction": f, "detector.alpha": 0.01},
            final_honest_share=s * f / 100,
            tpr_cheaters=0.8,
        )
        for i, (s, f) in enumerate([(s, f) for s in (10, 100) for f in (0.1, 0.5)])
        for r in range(3)
    ]
    pd.DataFrame(rows).to_parquet(root / "results.parquet")
    (root / "manifest.json").write_text(json.dumps({"name": "demo"}))
    if with_toml:
        (root / "sweep.toml").write_text(
            '[sweep]\nmode = "grid"\n[axes.staking]\nnode_stake = [10, 100]\n'
            '[axes]\n"slashing.slash_fraction" = [0.1, 0.5]\n'
        )


def test_load_sweep_reads_axes_from_sweep_file(tmp_path):
    _write_sweep(tmp_path / "sweeps" / "demo")
    rows, params, outcomes = data.load_sweep(tmp_path / "sweeps" / "demo")
    assert len(rows) == 12
    assert params == ["staking.node_stake", "slashing.slash_fraction"]
    assert outcomes == ["final_honest_share", "tpr_cheaters"]
    assert data.find_sweeps([tmp_path]) == [tmp_path / "sweeps" / "demo"]


def test_load_sweep_without_sweep_file_uses_varying_dotted_columns(tmp_path):
    _write_sweep(tmp_path / "s", with_toml=False)
    _, params, _ = data.load_sweep(tmp_path / "s")
    assert sorted(params) == ["slashing.slash_fraction", "staking.node_stake"]  # detector.alpha is constant


def test_load_sweep_missing_dir_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="no such sweep result"):
        data.load_sweep(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no Parquet"):
        data.load_sweep(tmp_path / "empty")


def test_deterrence_boundary_is_the_closed_form_margin_over_the_swept_plane(tmp_path):
    from gaia_sim import deterrence
    from gaia_sim.runner import load_answers
    from gaia_sim.scenario import load_scenario

    base = tmp_path / "base.toml"
    base.write_text('name = "b"\nanswers = "stand-in"\n[population]\nhonest = 0.7\nmodel_swapping = 0.3\n')
    _write_sweep(tmp_path / "sw")
    fixed = {"slashing.forfeit_revenue": False, "population": {"honest": 0.5, "lazy": 0.5}}
    (tmp_path / "sw" / "manifest.json").write_text(json.dumps({"base_scenario": str(base), "fixed": fixed}))
    rows, _, _ = data.load_sweep(tmp_path / "sw")
    grid, note = data.deterrence_boundary(
        rows, "staking.node_stake", "slashing.slash_fraction", tmp_path / "sw", resolution=7
    )
    assert grid is not None and len(grid) == 49, note
    corner = grid[(grid.x == 100) & (grid.y == 0.5)].margin.item()
    scenario = load_scenario(base).with_overrides(
        {**fixed, "staking.node_stake": 100.0, "slashing.slash_fraction": 0.5}
    )
    expected = deterrence.from_scenario(scenario, load_answers("stand-in"), tpr=0.8).margin  # the rows' measured power
    assert corner == pytest.approx(expected)
    # more stake at the same slash fraction never weakens deterrence
    row = grid[grid.y == 0.5].sort_values("x").margin.to_numpy()
    assert np.all(np.diff(row) >= -1e-9) and row[-1] > row[0]


def test_deterrence_boundary_without_measured_power_assumes_none(tmp_path):
    """Sweep rows that carry no detector power give no credit for detection (pessimistic fallback)."""
    from gaia_sim import deterrence
    from gaia_sim.runner import load_answers
    from gaia_sim.scenario import load_scenario

    base = tmp_path / "base.toml"
    base.write_text('name = "b"\nanswers = "stand-in"\n[population]\nhonest = 0.7\nmodel_swapping = 0.3\n')
    _write_sweep(tmp_path / "sw")
    rows = pd.read_parquet(tmp_path / "sw" / "results.parquet").drop(columns="tpr_cheaters")
    rows.to_parquet(tmp_path / "sw" / "results.parquet")
    fixed = {"slashing.forfeit_revenue": False}
    (tmp_path / "sw" / "manifest.json").write_text(json.dumps({"base_scenario": str(base), "fixed": fixed}))
    rows, _, _ = data.load_sweep(tmp_path / "sw")
    grid, _ = data.deterrence_boundary(
        rows, "staking.node_stake", "slashing.slash_fraction", tmp_path / "sw", resolution=3
    )
    scenario = load_scenario(base).with_overrides(
        {**fixed, "staking.node_stake": 100.0, "slashing.slash_fraction": 0.5}
    )
    blind = deterrence.from_scenario(scenario, load_answers("stand-in"), tpr=0.0).margin
    assert grid[(grid.x == 100) & (grid.y == 0.5)].margin.item() == pytest.approx(blind)
    assert (grid.margin < 0).all()  # no detection: nothing deters


def test_deterrence_boundary_without_a_base_scenario_says_why(tmp_path):
    _write_sweep(tmp_path / "sw")
    rows, _, _ = data.load_sweep(tmp_path / "sw")
    grid, note = data.deterrence_boundary(rows, "staking.node_stake", "slashing.slash_fraction", tmp_path / "sw")
    assert grid is None and "base scenario" in note


def test_detector_view_draws_each_nodes_served_answers_and_assesses_them():
    """Through the AnswerSource interface only (the named stand-in source here; the page uses the bank)."""
    from gaia_sim.runner import load_answers
    from gaia_sim.scenario import from_dict

    source = load_answers("stand-in")
    scenario = from_dict(dict(name="d", answers="stand-in", behaviours={"honest": {"stack_variation": 0.0}}))
    nodes = pd.DataFrame(dict(id=range(8), behaviour=["honest"] * 5 + ["lazy", "model_swapping", "model_swapping"]))
    questions = list(source.question_ids)[:2]
    points, scores = data.detector_view(source, scenario, nodes, questions, samples=2, seed=1)
    assert len(points) == 8 * 2 * 2 and set(points["question"]) == set(questions)
    assert points["text"].map(len).gt(0).all() and np.isfinite(points[["pc1", "pc2"]]).all().all()
    assert list(scores["node"]) == list(range(8)) and scores["p_value"].between(0, 1).all()
    assert list(scores["served"][:5]) == ["claimed"] * 5 and scores["served"][6] == "cheaper_model"
    # the projection is of answers centred per question: each question's cloud is centred at 0
    assert points.groupby("question")[["pc1", "pc2"]].mean().abs().max().max() < 1e-9


def test_answer_source_of_a_run_or_the_reason_it_is_missing(tmp_path):
    source, why = data.load_answer_source("stand-in")
    assert source is not None and why == "" and source.dim > 0
    source, why = data.load_answer_source(str(tmp_path / "no-bank"))
    assert source is None and "not available" in why and "no-bank" in why


def test_table_valued_axes_get_readable_labels(tmp_path):
    root = tmp_path / "t"
    root.mkdir()
    mixes = ['{"honest": 0.75, "lazy": 0.25, "colluding": 0.0}', '{"honest": 1.0}']
    pd.DataFrame({"population": mixes, "final_honest_share": [0.5, 1.0]}).to_parquet(root / "results.parquet")
    (root / "sweep.toml").write_text("[axes]\npopulation = [{honest = 0.75, lazy = 0.25}, {honest = 1.0}]\n")
    rows, params, outcomes = data.load_sweep(root)
    assert params == ["population"] and outcomes == ["final_honest_share"]
    assert list(rows["population"]) == ["honest=0.75, lazy=0.25", "honest=1"]


def test_network_of_a_real_run_draws_verdict_edges(scenarios_dir, standin):
    """A simulated run's verdict events name their lead validator, so the Network page joins validators
    to the nodes they judged (before, every event's validator was -1 and no such edge was drawn)."""
    from gaia_sim.runner import simulate
    from gaia_sim.scenario import load_scenario

    s = load_scenario(scenarios_dir / "model_swap.toml").with_overrides({"answers": "stand-in", "epochs": 3})
    result = simulate(s, answers=standin)
    verdicts = result.events[result.events["kind"] == "verdict"]
    assert len(verdicts) and (verdicts["validator"] >= 0).all()
    domain_nodes = result.nodes[result.nodes["domain"] == 0]
    _, edges = data.network_graph(domain_nodes, result.events[result.events["node"].isin(set(domain_nodes["id"]))])
    assert (edges["kind"] == "probe").sum() > 0


# --------------------------------------------------------------------------- issue 17 item 2: the margin before a run
LAZY = 'name = "lz"\nseed = 5\nepochs = 6\nanswers = "stand-in"\n[network]\nnodes_per_domain = 10\nvalidators = 3\n[population]\nhonest = 0.6\nlazy = 0.4\n'


def test_design_rates_are_assumed_pessimistic_without_a_stored_run_or_sweep(tmp_path):
    from gaia_sim.scenario import load_scenario

    (tmp_path / "lz.toml").write_text(LAZY)
    design = load_scenario(tmp_path / "lz.toml")
    rates = data.find_rates(design, tmp_path / "lz.toml", tmp_path / "results", [tmp_path], read=None)
    assert rates == data.ASSUMED and rates.tpr == 0.0 and not rates.measured and "assumed" in rates.source


def test_design_rates_come_from_the_stored_run_then_a_sweep_of_the_file(tmp_path):
    from gaia_sim.outcomes import early_rates
    from gaia_sim.results import read_run, write_run
    from gaia_sim.runner import simulate
    from gaia_sim.scenario import load_scenario

    (tmp_path / "lz.toml").write_text(LAZY)
    saved = load_scenario(tmp_path / "lz.toml")
    _write_sweep(tmp_path / "results" / "sw")
    (tmp_path / "results" / "sw" / "manifest.json").write_text(json.dumps({"base_scenario": str(tmp_path / "lz.toml")}))
    edited = saved.with_overrides({"staking.node_stake": 50.0})
    rates = data.find_rates(edited, tmp_path / "lz.toml", tmp_path / "results", [tmp_path / "results"], read_run)
    assert rates.tpr == pytest.approx(0.8) and rates.measured and "sweep" in rates.source
    result = simulate(saved)
    write_run(result, tmp_path / "results")
    rates = data.find_rates(edited, tmp_path / "lz.toml", tmp_path / "results", [tmp_path / "results"], read_run)
    tpr, fpr = early_rates(result, data.EARLY_EPOCHS)
    assert "as saved" in rates.source and rates.measured
    assert rates.tpr == pytest.approx(0.0 if np.isnan(tpr) else tpr)
    assert rates.fpr == pytest.approx(None if np.isnan(fpr) else fpr)


def test_design_deterrence_is_the_closed_form_with_those_rates(standin, tmp_path):
    from gaia_sim import deterrence
    from gaia_sim.scenario import load_scenario

    (tmp_path / "lz.toml").write_text(LAZY)
    design = load_scenario(tmp_path / "lz.toml")
    rates = data.DetectorRates(0.7, 0.01, 1.0, "given", True)
    behaviour, d = data.design_deterrence(design, standin, rates)
    expected = deterrence.from_scenario(design, standin, "lazy", tpr=0.7, fpr=0.01, verdict_rates=True)
    assert behaviour == "lazy" and d == expected
    assert d.stake_band == (expected.min_stake, expected.max_stake)
    _, blind = data.design_deterrence(design, standin, data.ASSUMED)
    assert not blind.deters and blind.min_stake == float("inf")  # no measured power: nothing deters


# --------------------------------------------------------------------------- issue 17 item 6: explain; the network at an epoch
def test_figure_explanations_come_from_the_metric_catalogue():
    from dashboard.pages import run_page
    from gaia_sim.metrics import CATALOGUE

    for graph in run_page.GRAPHS:
        text = run_page._explain(graph).children
        for column in run_page.FIGURE_METRICS[graph]:
            unit, description = CATALOGUE[column]
            assert f"{column} [{unit}]: {description}" in text
    assert set(run_page.TABLE_METRICS.values()) <= set(CATALOGUE)


@pytest.fixture(scope="module")
def tiny_run():
    from gaia_sim.runner import simulate
    from gaia_sim.scenario import from_dict

    scenario = from_dict(
        {
            "name": "tiny",
            "seed": 7,
            "epochs": 8,
            "answers": "stand-in",
            "network": {"nodes_per_domain": 16, "validators": 3},
            "population": {"honest": 0.5, "lazy": 0.5},
            "strategy": {"revision_rate": 0.5},
        }
    )
    return simulate(scenario)


def test_nodes_at_an_epoch_are_read_back_from_the_events(tiny_run):
    nodes, events = tiny_run.nodes, tiny_run.events
    slashes = events[events["kind"] == "slash"]
    assert not slashes.empty, "the scenario should slash someone"
    first = int(slashes["epoch"].min())
    before = data.nodes_at_epoch(nodes, events, first - 1)
    after = data.nodes_at_epoch(nodes, events, first)
    assert before["slashed_total"].sum() == 0
    assert after["slashed_total"].sum() == pytest.approx(slashes[slashes["epoch"] == first]["amount"].sum())
    at_one = data.nodes_at_epoch(nodes, events, 1)
    node_rows = at_one["role"] == "node"
    assert (at_one.loc[node_rows, "status"] == "active").all()
    judged = events[(events["kind"] == "verdict") & (events["epoch"] == 1)].set_index("node")["behaviour"]
    assert list(at_one[node_rows].set_index("id").loc[judged.index, "behaviour"]) == list(judged)
    ejected = data.nodes_at_epoch(nodes, events, 8)
    assert (ejected.loc[node_rows, "status"] != "active").sum() == (nodes.loc[node_rows, "status"] != "active").sum()


def test_epoch_verdicts_and_guilty_verdict_edges_of_one_epoch(tiny_run):
    events, nodes = tiny_run.events, tiny_run.nodes
    guilty = events[(events["kind"] == "verdict") & events["flagged"]]
    epoch = int(guilty["epoch"].min())
    verdicts = data.epoch_verdicts(events, nodes["id"], epoch)
    recorded = events[(events["kind"] == "verdict") & (events["epoch"] == epoch)]
    assert len(verdicts) == len(recorded) and verdicts["flagged"].sum() == recorded["flagged"].sum()
    _, edges = data.network_graph(data.nodes_at_epoch(nodes, events, epoch), events[events["epoch"] == epoch])
    assert (edges["kind"] == "guilty verdict").sum() == recorded["flagged"].sum()


# --------------------------------------------------------------------------- issue 17 item 7: recommendations
RECOMMENDATION = {
    "design": {"staking.node_stake": 400.0, "slashing.slash_fraction": 0.75, "probes.questions_per_epoch": 8},
    "attacks": [
        {"name": "burst", "params": {"burst_epochs": 3}, "profit_over_honest": -2.5, "ci_low": -3.1, "ci_high": -1.9},
        {"name": "diluted", "params": {"rate": 0.2}, "profit_over_honest": -0.1, "ci_low": -0.4, "ci_high": 0.2}
        | {"break_even_conviction_rate": 1e-4, "convictions": {"slashes": 0.0, "node_epochs": 2400.0}},
    ],
    "cost": {"capital_per_epoch": 12.5, "validator_per_epoch": 3.0, "total": 15.5},
    "constraints": {  # as recommend.as_json writes them: name -> value, limit, pass (and details)
        "false_slashing": {"value": 4e-4, "limit": 1e-3, "pass": True, "slashes": 0.0},
        "participation": {"value": 1.2, "limit": 0.0, "pass": True},
    },
}


def write_recommendation(root: Path, name: str = "baseline", rec: dict | None = None) -> Path:
    """A ``gaia-sim recommend --out root/recommend/NAME`` output: recommendation.json and the design's file."""
    out = root / "recommend" / name
    out.mkdir(parents=True)
    (out / "recommendation.json").write_text(json.dumps(rec or RECOMMENDATION))
    (out / f"{name}.toml").write_text(f'name = "{name}"\n[staking]\nnode_stake = 400.0\n')
    return out / "recommendation.json"


def test_recommendations_are_found_read_and_judged_pessimistically(tmp_path):
    assert data.find_recommendations(tmp_path) == []
    path = write_recommendation(tmp_path)
    assert data.find_recommendations(tmp_path) == [path]
    rec = data.read_recommendation(path)
    assert rec["design"]["staking.node_stake"] == 400.0 and rec["scenario_file"].endswith("baseline.toml")
    table = data.attack_table(rec)
    assert list(table["verdict"]) == ["unprofitable", "uncertain (interval spans 0)"]  # an interval over 0 is no proof
    assert table["params"][0] == '{"burst_epochs": 3}'
    assert list(table["break_even"]) == ["", "once in 10,000 node-epochs (seen: 0 in 2,400)"]
    fig = figures.fig_attack_margins(table)
    assert list(fig.data[0].y) == ["burst", "diluted"] and list(fig.data[0].error_x.array) == pytest.approx([0.6, 0.3])
    assert rec["constraints"] == [
        {"name": "false_slashing", "value": 4e-4, "limit": 1e-3, "passed": True},
        {"name": "participation", "value": 1.2, "limit": 0.0, "passed": True},
    ]


def test_the_recommend_page_reads_what_gaia_sim_recommend_writes(tmp_path):
    """A recommendation.json written by recommend's own writer (recommend.as_json, cli_recommend._finite):
    a single seed's attack has null interval ends (no bound: uncertain, drawn without a bar), and an
    attack within the search's --tolerance is called immaterial beside its verdict."""
    import dataclasses
    from types import SimpleNamespace

    from gaia_sim.sweep import recommend as rec_mod
    from gaia_sim.sweep import redteam
    from gaia_sim.sweep.cli_recommend import _finite

    near = redteam.AttackScore({"diluted": {"share": 0.07}}, (0.005,) * 40, 0.005, 0.003, 0.007)
    near = dataclasses.replace(near, never_convicted_high=0.007, fine=1400.0)
    near = dataclasses.replace(near, counts={"attacker_slashes": 1.0, "attacker_node_epochs": 4800.0})
    lone = redteam.AttackScore({"kb_skip": {"share": 0.05}}, (0.4,), 0.4, -np.inf, np.inf)
    verdict = SimpleNamespace(levers={"staking.node_stake": 400.0}, attacks=[near, lone], closed_form={})
    verdict.cost = {"capital_per_epoch": 1.0, "validator_per_epoch": 2.0, "total": 3.0}
    verdict.constraints = {"deterrence": rec_mod.deterrence_constraint([near, lone], 0.0, 0.05)}
    found = rec_mod.Recommendation(verdict, [], {"closed_form": 0, "measured_rates": 0}, 1, {"tolerance": 0.05})
    found.best.passed = False
    record = _finite(rec_mod.as_json(found, "s.toml"))
    path = write_recommendation(tmp_path, rec=record)
    rec = data.read_recommendation(path)
    # the one material attack has no bound (a single seed): unbounded, written as null, failed
    assert rec["constraints"] == [{"name": "deterrence", "value": None, "limit": 0.0, "passed": False}]
    table = data.attack_table(rec)
    assert table["verdict"][0] == "PROFITABLE; immaterial (at most +0.007 if never convicted; tolerance 0.05)"
    assert table["verdict"][1] == "uncertain (interval spans 0)"
    # it stops paying if convicted once in 1,400 / 0.007 node-epochs; the lone seed's has no bound
    assert list(table["break_even"]) == ["once in 200,000 node-epochs (seen: 1 in 4,800)", ""]
    fig = figures.fig_attack_margins(table)
    assert np.isnan(fig.data[0].error_x.array[1]) and fig.data[0].error_x.array[0] == pytest.approx(0.002)
    assert list(fig.data[0].marker.color) == ["#7f7f7f", "#d62728"]  # immaterial grey, unbounded red


@pytest.mark.parametrize(
    "broken, needle",
    [
        ({k: v for k, v in RECOMMENDATION.items() if k != "cost"}, "key 'cost' missing"),
        ({**RECOMMENDATION, "attacks": [{"name": "burst"}]}, "attacks[0]: missing params"),
        ({**RECOMMENDATION, "cost": {"total": 1}}, "cost: missing capital_per_epoch"),
    ],
)
def test_a_broken_recommendation_is_one_clear_message(tmp_path, broken, needle):
    path = write_recommendation(tmp_path, rec=broken)
    with pytest.raises(UserError, match=re.escape(needle)) as err:
        data.read_recommendation(path)
    assert str(path) in str(err.value)


# --------------------------------------------------------------------------- scenario discovery (prim.json)
STAKE, SLASH = "staking.node_stake", "slashing.slash_fraction"


def write_prim(sweep_dir: Path, pays) -> dict:
    """``sweep_dir/report/prim.json`` as ``gaia-sim report --discover`` writes it: PRIM
    (``gaia_sim.sweep.discovery.write_discovery``) run on the sweep's rows, cheating paying where
    ``pays(rows)`` (its outcome columns set to say so). Returns the JSON written."""
    from gaia_sim.sweep.discovery import write_discovery

    rows = pd.read_parquet(sweep_dir / "results.parquet")
    y = np.asarray(pays(rows), bool)
    frame = rows.assign(
        profit_per_node_lazy=np.where(y, 3.0, 1.0),
        profit_per_node_honest=2.0,
        node_epochs_lazy=10.0,
        node_epochs_honest=40.0,
        honest_share_change=np.where(y, -0.2, 0.1),
    )
    write_discovery(sweep_dir / "report", frame, [STAKE, SLASH], source=str(sweep_dir))
    return json.loads((sweep_dir / "report" / "prim.json").read_text())


def _grid_sweep(root: Path) -> Path:
    """A 6 x 6 grid of stake and slash fraction, one replication (PRIM needs 20 cells or more)."""
    root.mkdir(parents=True)
    grid = [(s, f) for s in (1, 2, 5, 10, 20, 50) for f in (0.05, 0.1, 0.2, 0.4, 0.7, 1.0)]
    pd.DataFrame([{"point": i, "replicate": 0, STAKE: s, SLASH: f} for i, (s, f) in enumerate(grid)]).to_parquet(
        root / "results.parquet"
    )
    return root


def test_sweep_discovery_reads_prim_json_or_none(tmp_path):
    sweep = _grid_sweep(tmp_path / "s")
    assert data.sweep_discovery(sweep) is None
    written = write_prim(sweep, lambda r: (r[STAKE] <= 5) & (r[SLASH] <= 0.2))
    assert data.sweep_discovery(sweep) == written
    (sweep / "report" / "prim.json").write_text('{"boxes": ')
    with pytest.raises(UserError, match="not a readable scenario discovery"):
        data.sweep_discovery(sweep)


def test_prim_table_one_row_per_box_with_its_limits_and_statistics(tmp_path):
    doc = write_prim(_grid_sweep(tmp_path / "s"), lambda r: (r[STAKE] <= 5) & (r[SLASH] <= 0.2))
    table = data.prim_table(doc)
    assert list(table.columns[:3]) == ["box", STAKE, SLASH]
    assert list(table.columns[3:]) == ["coverage", "density", "mass", "cells paying / in box", "density >= 0.8"]
    first = table.iloc[0]
    assert first[STAKE].startswith("1 to ") and first[SLASH].startswith("0.05 to "), first
    assert first["density >= 0.8"] == "yes" and first["cells paying / in box"] == "9 / 9", first
    assert first["coverage"] == "1.00"


def test_prim_table_says_any_for_a_free_parameter_and_lists_kept_values():
    box = {"id": 1, "limits": {"kind": ["a", "b"]}, "coverage": 0.5, "density": 0.6, "mass": 0.4, "n": 5, "k": 3}
    doc = {
        "parameters": {"min_density": 0.8},
        "boxes": [
            {**box, "meets_density": False},
            {**box, "id": 2, "limits": {STAKE: {"low": 1.0, "high": 2.0}}, "meets_density": True},
        ],
    }
    table = data.prim_table(doc)
    assert table["kind"].tolist() == ["a, b", "any"] and table[STAKE].tolist() == ["any", "1 to 2"]
    assert table["density >= 0.8"].tolist() == ["no (the densest box found)", "yes"]
