"""Scenario discovery (gaia_sim.sweep.discovery): PRIM boxes where cheating pays.

On a synthetic table where cheating pays exactly inside a known box, the discovery recovers the box;
too few cells or no paying cell is one clear message; the outcome's missing data count as paying;
the report writes prim.json (docs/sweeps.md, "Scenario discovery") and prim.png.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from gaia_sim.errors import UserError
from gaia_sim.sweep import discovery
from gaia_sim.sweep.report import write_report

STAKE, SLASH, SAMPLES = "staking.node_stake", "slashing.slash_fraction", "probes.samples_per_question"


def synthetic(n: int = 400, seed: int = 3) -> tuple[pd.DataFrame, np.ndarray]:
    """Cheating pays exactly where stake < 200 and samples < 3; the slash fraction does not matter."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(
        {
            STAKE: np.exp(rng.uniform(np.log(10.0), np.log(1000.0), n)),
            SLASH: rng.uniform(0.05, 1.0, n),
            SAMPLES: rng.integers(1, 6, n),
        }
    )
    return x, ((x[STAKE] < 200.0) & (x[SAMPLES] < 3)).to_numpy()


def test_prim_recovers_a_known_box():
    x, y = synthetic()
    boxes = discovery.discover(x, y)
    first = boxes[0]
    assert set(first.limits) == {STAKE, SAMPLES}, first.limits  # the slash fraction is left free
    assert first.limits[STAKE][1] == pytest.approx(200.0, rel=0.10)
    assert first.limits[STAKE][0] == pytest.approx(x[STAKE].min())
    assert 2.0 <= first.limits[SAMPLES][1] < 3.0 and first.limits[SAMPLES][0] == 1.0
    assert first.coverage >= 0.9 and first.density >= 0.9 and first.meets_density
    assert first.mass == pytest.approx(y.mean(), rel=0.15)
    inside = discovery.in_box(x, first)
    assert inside.sum() == first.n and y[inside].sum() == first.k


@pytest.mark.parametrize(
    "rows, pays, message",
    [(10, "half", "at least 20 finished cells, got 10"), (100, "none", "cheating pays in none of the 100 cells")],
)
def test_discovery_fails_cleanly(rows, pays, message):
    x, _ = synthetic(rows)
    y = np.arange(rows) % 2 == 0 if pays == "half" else np.zeros(rows, bool)
    with pytest.raises(UserError, match=message):
        discovery.discover(x, y, source="sweep X")


def test_every_cell_paying_is_one_unrestricted_box():
    x, _ = synthetic(40)
    (box,) = discovery.discover(x, np.ones(40, bool))
    assert box.limits == {} and box.coverage == box.density == box.mass == 1.0


def _row(lazy_profit, honest_profit, change, lazy_epochs=10.0, honest_epochs=40.0):
    return {
        "profit_per_node_lazy": lazy_profit,
        "profit_per_node_honest": honest_profit,
        "node_epochs_lazy": lazy_epochs,
        "node_epochs_honest": honest_epochs,
        "honest_share_change": change,
    }


def test_cheating_pays_is_pessimistic_where_data_are_missing():
    frame = pd.DataFrame(
        [
            _row(1.0, 2.0, 0.1),  # earns less, honest share rose: does not pay
            _row(3.0, 2.0, 0.1),  # out-earns honest nodes: pays
            _row(1.0, 2.0, -0.05),  # honest share fell: pays
            _row(1.0, 2.0, math.nan),  # no trajectory: pays (pessimistic)
            _row(math.nan, 2.0, 0.1, lazy_epochs=0.0),  # no cheater node-epoch: pays (pessimistic)
            _row(1.0, math.nan, 0.1, honest_epochs=0.0),  # no honest node-epoch: pays (pessimistic)
        ]
    )
    assert discovery.cheating_pays(frame).tolist() == [False, True, True, True, True, True]


def test_inputs_expand_a_population_axis_and_drop_constants():
    frame = pd.DataFrame(
        {
            STAKE: [1.0, 2.0, 3.0],
            "epochs": [5, 5, 5],
            "population": [json.dumps({"honest": 1 - s, "lazy": s}) for s in (0.1, 0.2, 0.3)],
        }
    )
    x = discovery.inputs(frame, [STAKE, "epochs", "population"])
    assert list(x.columns) == [STAKE, "population.lazy"]  # honest = 1 - lazy: no second column
    assert x["population.lazy"].tolist() == [0.1, 0.2, 0.3]


def _sweep_dir(root, frame, discover=True):
    root.mkdir()
    frame.to_parquet(root / "results.parquet", index=False)
    axes = [{"path": STAKE}, {"path": SLASH}, {"path": SAMPLES}]
    manifest = {
        "name": "synthetic",
        "mode": "lhs",
        "axes": axes,
        "n_points": len(frame),
        "replications": 1,
        "n_cells": len(frame),
        "complete": True,
        "base_scenario": "none",
        "report": {"metrics": ["honest_share_change"], "discover": discover},
    }
    (root / "manifest.json").write_text(json.dumps(manifest))
    return root


def test_report_writes_prim_json_and_png(tmp_path):
    x, y = synthetic(200)
    frame = x.assign(
        point=range(len(x)),
        replicate=0,
        profit_per_node_lazy=np.where(y, 3.0, 1.0),
        profit_per_node_honest=2.0,
        node_epochs_lazy=10.0,
        node_epochs_honest=40.0,
        honest_share_change=np.where(y, -0.2, 0.1),
    )
    out = write_report(_sweep_dir(tmp_path / "sweep", frame))
    doc = json.loads((out / "prim.json").read_text())
    assert doc["outcome"] == "cheating_pays" and doc["cells"] == 200 and doc["cells_where_cheating_pays"] == y.sum()
    box = doc["boxes"][0]
    assert set(box) >= {"id", "limits", "coverage", "density", "mass", "n", "k", "quasi_p"}
    assert box["limits"][STAKE]["high"] == pytest.approx(200.0, rel=0.15)
    assert (out / "prim.png").stat().st_size > 10_000
    assert "## Where cheating pays" in (out / "index.md").read_text()
    assert discovery.read_discovery(out / "prim.json") == doc
    assert f"- {discovery.box_line(box)}" in (out / "index.md").read_text()
    assert not (write_report(_sweep_dir(tmp_path / "off", frame, discover=False)) / "prim.json").exists()


def _doc() -> dict:
    """A prim.json as discovery_json writes it: one numeric and one categorical restriction."""
    x = pd.DataFrame({STAKE: [1.0, 2.0, 3.0, 4.0], "kind": ["a", "b", "a", "b"]})
    box = discovery.Box({STAKE: (1.0, 2.5), "kind": ("a",)}, 0.5, 1.0, 0.25, 1, 1, {STAKE: 0.1}, True)
    return discovery.discovery_json(x, np.array([True, False, True, False]), [box])


def test_box_line_says_each_limit_or_everywhere():
    box = _doc()["boxes"][0]
    assert discovery.box_line(box) == (
        f"box 1: 1 <= {STAKE} <= 2.5; kind in {{a}} (coverage 0.50, density 1.00, mass 0.25)"
    )
    assert discovery.box_line({**box, "limits": {}}).startswith("box 1: everywhere (coverage")


@pytest.mark.parametrize(
    "change, needle",
    [
        (lambda d: "not json {", "not a readable scenario discovery"),
        (lambda d: [d], "expected a JSON object"),
        (lambda d: {k: v for k, v in d.items() if k != "base_rate"}, "missing base_rate"),
        (lambda d: {**d, "boxes": [{"id": 1}]}, "boxes[0]: missing limits, coverage"),
        (lambda d: {**d, "boxes": [{**d["boxes"][0], "limits": {STAKE: {"low": 1}}}]}, "boxes[0]: 'limits' must map"),
        (lambda d: {**d, "boxes": [{**d["boxes"][0], "density": "high"}]}, "boxes[0]: coverage, density"),
        (lambda d: {**d, "parameters": {}}, "min_density"),
    ],
)
def test_a_broken_prim_json_is_one_clear_message(tmp_path, change, needle):
    path = tmp_path / "prim.json"
    bad = change(_doc())
    path.write_text(bad if isinstance(bad, str) else json.dumps(bad))
    with pytest.raises(UserError) as err:
        discovery.read_discovery(path)
    assert needle in str(err.value) and str(path) in str(err.value) and "--discover" in str(err.value), err.value


def test_plot_dims_are_the_first_boxs_most_restricted_numeric_inputs():
    ranges = {
        "a": {"low": 0.0, "high": 10.0},
        "b": {"low": 0.0, "high": 1.0},
        "c": ["x", "y"],
        "d": {"low": 0, "high": 5},
    }
    limits = {"b": {"low": 0.5, "high": 1.0}, "a": {"low": 0.0, "high": 2.0}, "c": ["x"]}
    assert discovery.plot_dims(ranges, limits) == ["a", "b"]
    assert discovery.plot_dims(ranges, {}) == ["a", "b"]  # none restricted: the first numeric inputs
