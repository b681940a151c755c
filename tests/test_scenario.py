"""Scenario files: every shipped scenario validates; every kind of bad input gives one clear error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from gaia_sim.errors import UserError
from gaia_sim.params import ScenarioParams, field_info, leaf_paths
from gaia_sim.scenario import Scenario, load_scenario

SHIPPED = sorted(Path(__file__).resolve().parents[1].joinpath("scenarios").glob("*.toml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_scenarios_validate(path):
    s = load_scenario(path)
    assert s.name == path.stem
    assert len(s.hash) == 12


def test_required_scenarios_exist():
    names = {p.stem for p in SHIPPED}
    assert {"baseline", "lazy_nodes", "model_swap", "kb_swap", "collusion_ring"} <= names


def test_every_field_has_default_unit_and_doc():
    for path in leaf_paths():
        info = field_info(path)
        assert info["doc"], path
        assert info["unit"], path


def test_scenario_is_frozen():
    with pytest.raises(ValidationError):
        Scenario().seed = 3  # type: ignore[misc]


def test_hash_changes_with_any_parameter():
    s = Scenario()
    assert s.hash == Scenario().hash
    assert s.with_overrides({"staking.node_stake": 999.0}).hash != s.hash


def test_int_accepted_for_float_field(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text("[staking]\nnode_stake = 10\n")
    assert load_scenario(f).staking.node_stake == 10.0


BAD = {
    "unknown key": ("[staking]\nnode_stak = 5.0\n", ["staking.node_stak", "unknown key", "node_stake"]),
    "unknown group": ("[stakng]\nnode_stake = 5.0\n", ["stakng", "unknown key"]),
    "wrong type": ('[network]\nvalidators = "five"\n', ["network.validators", "integer"]),
    "negative stake": ("[staking]\nnode_stake = -1.0\n", ["staking.node_stake", ">= 0", "tokens"]),
    "fraction above 1": ("[slashing]\nslash_fraction = 1.5\n", ["slashing.slash_fraction", "<= 1"]),
    "fraction below 0": ("[probes]\nprobe_fraction = -0.1\n", ["probes.probe_fraction", ">= 0"]),
    "mix not summing to 1": ("[population]\nhonest = 0.5\nlazy = 0.2\n", ["population", "sum to 1", "0.7"]),
    "bad choice": ('[behaviours.lazy]\nmode = "sleep"\n', ["behaviours.lazy.mode", "replay"]),
    "invalid TOML": ("[staking\nnode_stake = 1\n", ["invalid TOML"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_raises_clear_user_error(tmp_path, case):
    text, needles = BAD[case]
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(UserError) as err:
        load_scenario(f)
    msg = str(err.value)
    assert str(f) in msg
    for needle in needles:
        assert needle in msg, (needle, msg)


def test_missing_file(tmp_path):
    with pytest.raises(UserError, match="no such scenario file"):
        load_scenario(tmp_path / "nope.toml")


def test_override_errors_name_the_path():
    with pytest.raises(UserError, match="detector.alpha"):
        Scenario().with_overrides({"detector.alpha": 2.0})
    with pytest.raises(UserError, match="unknown parameter"):
        Scenario().with_overrides({"detector.alfa": 0.1})


@pytest.mark.parametrize("case", ["unknown key", "negative stake", "mix not summing to 1", "invalid TOML"])
def test_cli_exit_2_without_traceback(tmp_path, case):
    f = tmp_path / "bad.toml"
    f.write_text(BAD[case][0])
    proc = subprocess.run([sys.executable, "-m", "gaia_sim.cli", "run", str(f)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert str(f) in proc.stderr
    assert len(proc.stderr.strip().splitlines()) <= 6


def test_cli_missing_file_exit_2(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "gaia_sim.cli", "run", str(tmp_path / "x.toml")], capture_output=True, text=True
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "no such scenario file" in proc.stderr


def test_schema_defaults_are_a_valid_scenario():
    assert ScenarioParams().population.honest == 1.0
