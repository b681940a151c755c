"""Sweeps of the real Gaia model: serial, process pool and a real local Dask cluster agree exactly."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gaia_sim.rng import spawn_seeds
from gaia_sim.scenario import load_scenario
from gaia_sim.sweep.engine import run_sweep
from gaia_sim.sweep.execute import TIMING_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
SWEEP = f"""[sweep]
name = "tiny"
base = "{(ROOT / "scenarios" / "model_swap.toml").as_posix()}"
mode = "zip"
replications = 2
[fixed]
epochs = 6
answers = "stand-in"
"network.nodes_per_domain" = 6
"network.validators" = 3
[axes]
"staking.node_stake" = [0.0, 500.0]
"slashing.slash_fraction" = [0.2, 1.0]
"""


def test_real_model_sweep_is_identical_on_serial_pool_and_dask(tmp_path):
    spec = tmp_path / "tiny.toml"
    spec.write_text(SWEEP)
    runs = {
        ex: run_sweep(
            spec, tmp_path / ex, executor=ex, workers=2, scheduler="local" if ex == "dask" else None, progress=False
        ).frame.drop(columns=list(TIMING_COLUMNS))
        for ex in ("serial", "pool", "dask")
    }
    pd.testing.assert_frame_equal(runs["serial"], runs["pool"])
    pd.testing.assert_frame_equal(runs["serial"], runs["dask"])
    frame = runs["serial"]
    assert len(frame) == 4 and {"final_honest_share", "tpr_cheaters", "profit_per_node_honest"} <= set(frame.columns)
    base = load_scenario(ROOT / "scenarios" / "model_swap.toml")
    assert sorted(frame["seed"].unique()) == sorted(spawn_seeds(base.seed, 2))
    row = frame.iloc[-1]
    expected = base.with_overrides(
        {
            "epochs": 6,
            "answers": "stand-in",
            "network.nodes_per_domain": 6,
            "network.validators": 3,
            "staking.node_stake": 500.0,
            "slashing.slash_fraction": 1.0,
            "seed": int(row["seed"]),
        }
    )
    assert row["scenario_hash"] == expected.hash  # a cell is addressed by exactly the scenario it ran
