"""``gaia-sim deterrence``: the closed form for a scenario from the command line (stand-in answers)."""

from __future__ import annotations

import json

import pytest

from gaia_sim.cli import main
from gaia_sim.deterrence import Deterrence, basin_edge

FAST = ["--set", "answers='stand-in'", "--set", "network.nodes_per_domain=20", "--seeds", "1", "--epochs", "6"]


def test_deterrence_command_reports_margin_min_stake_and_basin(scenarios_dir, tmp_path, capsys):
    out = tmp_path / "d.json"
    rc = main(
        [
            "deterrence",
            str(scenarios_dir / "model_swap.toml"),
            *FAST,
            "--set",
            "slashing.forfeit_revenue=false",
            "--shares",
            "0.2,0.3",
            "--json",
            str(out),
        ]
    )
    assert rc == 0
    text = capsys.readouterr().out
    assert "model_swapping" in text and "margin" in text and "basin edge" in text
    o = json.loads(out.read_text())
    p, q = o["rates"]["p"], o["rates"]["q"]
    assert 0 <= p <= 1 and 0 <= q <= 1 and o["cost_saving_C"] > 0
    # the numbers are the closed form's: margin, and a stake that deters exactly at its minimum
    d = Deterrence(
        p,
        o["slash_fraction"],
        o["stake"],
        o["reward_R"],
        o["cost_saving_C"],
        false_positive=q,
        jail_loss=o["jail_loss_J"],
    )
    assert o["margin"] == pytest.approx(d.margin) and o["deters"] == d.deters
    s1 = o["min_stake"]["1.0"]
    assert 0 < s1 < float("inf")  # revenue is not forfeited, so only the slash deters
    assert Deterrence(p, 1.0, s1, o["reward_R"], o["cost_saving_C"], false_positive=q).margin == pytest.approx(
        0, abs=1e-9
    )
    # the C of the network the scenario's seed draws, and a stake that deters that network exactly
    drawn = o["saving_spread"]["drawn"]
    assert f"C of the network seed {o['saving_spread']['seed']} draws" in text and f"{drawn:.3f}" in text
    s_drawn = o["saving_spread"]["min_stake_drawn"]["1.0"]
    assert Deterrence(p, 1.0, s_drawn, o["reward_R"], drawn, false_positive=q).margin == pytest.approx(0, abs=1e-9)
    shares, power = [float(x) for x in o["power_by_share"]], list(o["power_by_share"].values())
    assert o["basin_edge"] == pytest.approx(
        basin_edge(
            shares, power, o["slash_fraction"], o["stake"], o["cost_saving_C"], o["reward_R"], q, o["jail_loss_J"]
        )
    )


def test_imitation_line_of_the_drawn_network(scenarios_dir, tmp_path, capsys):
    """--imitation: the drawn network's imitation line (deterrence.imitation_line), and at each slash
    fraction the stake whose expected penalty equals it (the closed form with the line in place of C)."""
    out = tmp_path / "d.json"  # the shipped bank's four honest stacks; revenue is not forfeited
    args = ["deterrence", str(scenarios_dir / "boundary" / "model_swap_deterred.toml"), "--tpr", "0.5", "--fpr", "0"]
    assert main([*args, "--imitation", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    o = json.loads(out.read_text())
    m = o["imitation"]
    assert f"imitation line of the network seed {m['seed']} draws" in text and f"{m['line']:.3f}" in text
    assert 0 < m["line"] < 3 * m["switch_saving"]
    stake = m["min_stake"]["1.0"]
    assert 0 < stake and (stake < o["min_stake"]["1.0"]) == (m["line"] < o["cost_saving_C"])
    assert Deterrence(0.5, 1.0, stake, o["reward_R"], m["line"]).margin == pytest.approx(0, abs=1e-9)
    assert main(args) == 0 and "imitation line" not in capsys.readouterr().out  # only when asked
    alone = ["--set", "population.honest=0.0", "--set", "population.model_swapping=1.0"]
    assert main([*args, *alone, "--imitation"]) == 2  # no honest node to imitate: one message
    assert "--imitation" in capsys.readouterr().err


def test_given_rates_skip_the_calibration(scenarios_dir, capsys):
    assert main(["deterrence", str(scenarios_dir / "model_swap.toml"), *FAST, "--tpr", "0.5", "--fpr", "0"]) == 0
    assert "p = 0.500" in capsys.readouterr().out


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--behaviour", "sleepy"], "--behaviour 'sleepy': allowed"),
        (["--shares", "0.2,1.5"], "--shares '0.2,1.5': every value must lie in [0, 1]"),
        (["--tpr", "-0.1"], "--tpr -0.1: a rate must lie in [0, 1]"),
        (["--set", "staking.node_stake=-5"], "node_stake"),
        (["--set", "slashing.max_fraction=0.2"], "max_fraction (0.2) caps every slash"),  # below slash_fraction 0.5
        (["--set", "slashing.dispute_majority=0"], "dispute_majority must be above 0"),
        (["--set", "slashing.max_fraction=0.6", "--fractions", "0.5,0.8"], "--fractions '0.5,0.8': every value"),
    ],
)
def test_bad_input_is_one_clear_line(scenarios_dir, capsys, extra, message):
    assert main(["deterrence", str(scenarios_dir / "model_swap.toml"), *FAST, *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
