"""Sweep files: validation messages and design points (grid, zip, Latin hypercube, Sobol, seeds)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gaia_sim.errors import UserError
from gaia_sim.sweep import design
from gaia_sim.sweep.spec import load_sweep, n_points

BASE = 'name = "toybase"\nseed = 7\nepochs = 20\n'


def write(tmp_path: Path, body: str, name: str = "s.toml") -> Path:
    (tmp_path / "base.toml").write_text(BASE)
    path = tmp_path / name
    path.write_text(body)
    return path


def sweep(mode_line: str = 'mode = "grid"', axes: str = '"staking.node_stake" = [1.0, 2.0]', extra: str = "") -> str:
    return f'[sweep]\nbase = "base.toml"\n{mode_line}\n{extra}\n[axes]\n{axes}\n'


def error(tmp_path, body) -> str:
    with pytest.raises(UserError) as info:
        load_sweep(write(tmp_path, body))
    return str(info.value)


def test_missing_mode_is_a_clear_error(tmp_path):
    msg = error(tmp_path, sweep(mode_line=""))
    assert "s.toml" in msg and "sweep.mode" in msg and '"grid"' in msg and '"zip"' in msg


@pytest.mark.parametrize(
    "body, needles",
    [
        (sweep('mode = "cartesian"'), ["sweep.mode", "'cartesian'", '"zip"']),
        (sweep(extra="replicas = 3"), ["sweep.replicas", "unknown key", "replications"]),
        (sweep(extra="replications = 0"), ["sweep.replications", ">= 1"]),
        (sweep(axes='"a.b" = [1, 2]\n"c.d" = [1, 2, 3]', mode_line='mode = "zip"'), ["equal-length", "'a.b': 2"]),
        (sweep(axes='"a.b" = {low = 0, high = 1}'), ["axes.'a.b'", 'needs mode "lhs" or "sobol"']),
        (sweep(axes='"a.b" = []'), ["axes.'a.b'", "no values"]),
        (sweep(axes='"a.b" = 3'), ["axes.'a.b'", "list of values or a range"]),
        (sweep(axes=""), ["[axes]", "empty"]),
        (sweep('mode = "sobol"', '"a.b" = {low = 0, high = 1}', "samples = 10"), ["sweep.samples", "power of 2"]),
        (sweep('mode = "lhs"', '"a.b" = {low = 0, high = 1}'), ["sweep.samples", "required"]),
        (sweep('mode = "lhs"', '"a.b" = {low = 2, high = 1}', "samples = 4"), ["axes.'a.b'", "low < high"]),
        (sweep('mode = "lhs"', '"a.b" = {low = 0, high = 1, scale = "log"}', "samples = 4"), ["low", "> 0"]),
        (sweep('mode = "lhs"', '"a.b" = {low = 1, high = 2, step = 1}', "samples = 4"), ["step", "unknown key"]),
        (sweep(extra="samples = 4"), ["sweep.samples", "only applies"]),
        ('[sweep]\nmode = "grid"\n[axes]\n"a" = [1]\n', ["sweep.base", "missing"]),
        ('[sweep]\nbase = "nope.toml"\nmode = "grid"\n[axes]\n"a" = [1]\n', ["sweep.base", "not found"]),
        ('[axes]\n"a" = [1]\n', ["[sweep]", "missing"]),
        (sweep() + "[extra]\n", ["extra", "unknown key"]),
        (sweep() + '[fixed]\n"staking.node_stake" = 3\n', ["fixed.'staking.node_stake'", "also an axis"]),
        ("[sweep\n", ["invalid TOML"]),
    ],
)
def test_bad_sweep_files_name_file_key_and_allowed(tmp_path, body, needles):
    msg = error(tmp_path, body)
    assert "s.toml" in msg
    for needle in needles:
        assert needle in msg, (needle, msg)


def test_missing_file(tmp_path):
    with pytest.raises(UserError, match="no such sweep file"):
        load_sweep(tmp_path / "absent.toml")


def test_nested_tables_flatten_to_paths(tmp_path):
    spec = load_sweep(
        write(
            tmp_path,
            '[sweep]\nbase = "base.toml"\nmode = "grid"\n'
            "[axes.staking]\nnode_stake = [1, 2]\n[fixed.slashing]\nfraction = 0.5\n",
        )
    )
    assert spec.axis_paths == ("staking.node_stake",)
    assert spec.fixed == {"slashing.fraction": 0.5}
    assert spec.name == "s" and spec.base == (tmp_path / "base.toml").resolve()


def test_grid_is_cartesian_first_axis_slowest(tmp_path):
    spec = load_sweep(write(tmp_path, sweep(axes='"a" = [1, 2]\n"b" = ["x", "y", "z"]')))
    pts = design.points(spec, base_seed=1)
    assert n_points(spec) == len(pts) == 6
    assert [(p["a"], p["b"]) for p in pts[:4]] == [(1, "x"), (1, "y"), (1, "z"), (2, "x")]


def test_zip_is_positional(tmp_path):
    spec = load_sweep(write(tmp_path, sweep('mode = "zip"', '"a" = [1, 2, 3]\n"b" = [10, 20, 30]')))
    assert design.points(spec, 1) == [{"a": 1, "b": 10}, {"a": 2, "b": 20}, {"a": 3, "b": 30}]


def test_latin_hypercube_has_one_point_per_stratum(tmp_path):
    body = sweep(
        'mode = "lhs"',
        '"a" = {low = 0, high = 10}\n"b" = {low = 1, high = 1000, scale = "log"}\n'
        '"c" = {low = 0, high = 5, integer = true}',
        "samples = 10",
    )
    spec = load_sweep(write(tmp_path, body))
    pts = design.points(spec, base_seed=3)
    a = np.array([p["a"] for p in pts])
    assert sorted((a // 1).astype(int)) == list(range(10))  # one point in each tenth of [0, 10)
    b = np.log10([p["b"] for p in pts])
    assert sorted((b // 0.3).astype(int)) == list(range(10))  # stratified in log space
    assert all(isinstance(p["c"], int) and 0 <= p["c"] <= 5 for p in pts)
    assert design.points(spec, base_seed=3) == pts and design.points(spec, base_seed=4) != pts


def test_sobol_design_size_and_salib_order(tmp_path):
    body = sweep(
        'mode = "sobol"', '"a" = {low = 0, high = 1}\n"b" = {low = 0, high = 1}\n"c" = ["p", "q"]', "samples = 8"
    )
    spec = load_sweep(write(tmp_path, body))
    pts = design.points(spec, base_seed=5)
    assert len(pts) == n_points(spec) == 8 * (3 + 2)
    # Saltelli blocks: A, AB_1..AB_D, B; AB_1 differs from A only in the first column.
    assert pts[1]["b"] == pts[0]["b"] and pts[1]["c"] == pts[0]["c"]
    assert {p["c"] for p in pts} == {"p", "q"}


def test_replicate_seeds_are_spawned_and_stable():
    seeds = design.replicate_seeds(42, 4)
    assert len(set(seeds)) == 4 and 42 not in seeds
    assert design.replicate_seeds(42, 2) == seeds[:2]  # adding replicates keeps existing ones
    expected = np.random.SeedSequence(42, spawn_key=(1,)).generate_state(1, dtype=np.uint32)[0]
    assert seeds[1] == int(expected)
    assert design.replicate_seeds(43, 4) != seeds


ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted(
    [
        *ROOT.glob("scenarios/sweeps/*.toml"),
        *ROOT.glob("experiments/*/sweep.toml"),
        *ROOT.glob("experiments/*/defence.toml"),
    ]
)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_sweep_files_are_valid_for_the_real_scenario_schema(path):
    from gaia_sim.scenario import load_scenario
    from gaia_sim.sweep.cells import build_cells

    spec = load_sweep(path)
    cells = build_cells(spec, load_scenario(spec.base))  # validates every cell's scenario
    assert len(cells) == n_points(spec) * spec.replications
    assert len({c.key for c in cells}) == len(cells)


def test_red_team_search_file_is_valid():
    import tomllib

    from gaia_sim.scenario import load_scenario

    path = ROOT / "experiments" / "e005_red_team" / "search.toml"
    cfg = tomllib.loads(path.read_text())
    base = load_scenario((path.parent / cfg["search"]["base"]).resolve()).with_overrides(cfg["protocol"])
    for change in cfg["defences"].values():
        base.with_overrides(change)
