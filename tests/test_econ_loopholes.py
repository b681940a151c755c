"""Issue 13, economics without loopholes: stack-bound capacity and cost, paid answers, limited
liability, capital cost of stake, a fixed imitation speed (stand-in answers: plumbing and economics)."""

from __future__ import annotations

import numpy as np
import pytest

from gaia_sim import costs
from gaia_sim.epoch.revise import revise_behaviours
from gaia_sim.model import GaiaModel
from gaia_sim.scenario import load_scenario

SCEN_ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


def scen(scenarios_dir, name, **over):
    return load_scenario(scenarios_dir / f"{name}.toml").with_overrides({"answers": "stand-in", "epochs": 12, **over})


# ---- 1. capacity and cost follow the node's stack -------------------------------------------------
def test_served_seconds_scales_every_configuration_by_the_stack():
    claimed, stack, cheap = 0.2, 0.4, 0.15
    assert costs.served_seconds(cheap, claimed, claimed) == pytest.approx(cheap)  # reference stack
    assert costs.served_seconds(cheap, stack, claimed) == pytest.approx(cheap * stack / claimed)
    assert costs.served_seconds(claimed, stack, claimed, True) == stack  # the stack's own measurement
    # the claimed model on a stack costs what the stack's honest configuration was measured at
    assert costs.served_seconds(claimed, stack, claimed) == pytest.approx(stack)


@pytest.mark.parametrize("name", ["model_swap", "kb_swap", "collusion_ring"])
def test_a_cheater_keeps_its_stack_speed_in_the_simulation(scenarios_dir, standin, name):
    s = scen(scenarios_dir, name, **{"behaviours.honest.stack_variation": 1.0, "strategy.dynamics": "none"})
    m = GaiaModel(s, standin)
    st, c = m.state, m.state.configs
    m.step()
    cheat = st.cheater & (st.user_cfg != st.honest_cfg)
    assert cheat.any()
    stack_s = c.secs(st.honest_cfg)
    want = c.secs(st.user_cfg) * stack_s / c.claimed_s
    assert np.allclose(st.user_s[cheat], want[cheat])
    assert np.array_equal(st.honest_s, stack_s)
    assert [p.service_s for p in np.array(st.profiles, dtype=object)[cheat]] == [
        (h, u) for h, u in zip(st.honest_s[cheat], st.user_s[cheat])
    ]


def test_compute_seconds_charged_are_the_stack_seconds(scenarios_dir, standin):
    from gaia_sim.epoch import traffic as phase_a

    s = scen(scenarios_dir, "model_swap", **{"behaviours.honest.stack_variation": 1.0})
    m = GaiaModel(s, standin)
    tr = phase_a.run(m.state, 1)
    st, ok = m.state, tr.answered > 0
    per_answer = tr.compute_s[ok] / tr.answered[ok]
    lo = np.minimum(st.honest_s, st.user_s)[ok]
    hi = np.maximum(st.honest_s, st.user_s)[ok]
    assert np.all(per_answer >= lo - 1e-12) and np.all(per_answer <= hi + 1e-12)
    cheaters = st.cheater[ok] & (st.cheat_rate[ok] == 1.0)
    assert np.allclose(per_answer[cheaters], st.user_s[ok][cheaters])


# ---- 5. imitation speed is a trait of the population, not of stake or slash ----------------------
@pytest.mark.parametrize("dynamics", ["replicator", "logit"])
def test_imitation_speed_does_not_depend_on_stake_or_slash(scenarios_dir, standin, dynamics):
    outcomes = []
    for stake, f in [(10.0, 0.05), (100_000.0, 1.0)]:
        s = scen(
            scenarios_dir,
            "lazy_nodes",
            **{
                "network.nodes_per_domain": 200,
                "strategy.revision_rate": 1.0,
                "strategy.dynamics": dynamics,
                "staking.node_stake": stake,
                "slashing.slash_fraction": f,
            },
        )
        m = GaiaModel(s, standin)
        m.state.profit_avg = np.linspace(-3.0, 3.0, m.state.n_nodes)
        outcomes.append(revise_behaviours(m.state, np.random.default_rng(7)).copy())
    assert np.array_equal(outcomes[0], outcomes[1]) and outcomes[0].any()


def test_imitation_scale_has_a_fixed_positive_default():
    from gaia_sim.params import field_info

    info = field_info("strategy.imitation_scale")
    assert info["default"] > 0 and info["gt"] == 0.0


# ---- 2. users pay only for answers they accept ----------------------------------------------------
def test_users_pay_for_accepted_answers_only():
    from gaia_sim import rewards

    texts = ["I'm sorry, I can't answer that question right now.", "", "It is", "The sky is blue because of the Drift."]
    tokens = [12, 0, 2, 9]
    assert rewards.accepted(texts, tokens, 1).tolist() == [False, False, True, True]
    assert rewards.accepted(texts, tokens, 3).tolist() == [False, False, False, True]
    assert rewards.accepted_share(texts, tokens, 3) == 0.25
    assert rewards.paid_requests(10, 4, 1.0, 0.0) == 6.0  # the 4 cheap answers are refusals


def test_the_default_answer_threshold_pays_every_honest_answer_of_the_shipped_bank():
    """rewards.min_answer_tokens = 1 is the largest threshold at which users pay every non-empty honest
    answer in the shipped bank: 2.8% of honest answers are one token ("Paris"), while the lazy
    truncated answers are cut at 6 tokens, inside the honest range (32% of honest answers have 6 or
    fewer). Length cannot tell truncation from brevity, so no threshold unpays the truncated without
    unpaying the honest (docs/economics.md, "The truncation threshold"). The few honest answers left
    unpaid at the default (0.03-0.16% per stack) are empty: the model ended its answer at once."""
    from gaia_sim import rewards
    from gaia_sim.answers.bank import load_default_bank
    from gaia_sim.params import RewardParams

    bank, default = load_default_bank(), RewardParams().min_answer_tokens
    honest = [bank.roles["claimed"], *bank.roles["honest_variants"]]

    def share(cfg, m):
        return rewards.accepted_share(*bank.answer_record(cfg), m)

    assert all(share(c, default) >= 0.998 for c in honest)
    unpaid = [t for c in honest for t, k in zip(*bank.answer_record(c)) if k < default]
    assert all(not t.strip() for t in unpaid)  # only empty answers go unpaid
    assert min(share(c, default + 1) for c in honest) < 0.98
    truncated = bank.roles["lazy_truncated"]
    assert share(truncated, 7) == 0.0 and min(share(c, 7) for c in honest) < 0.86  # the rejected alternative
    assert share(bank.roles["lazy_refusal"], default) == 0.0


def test_refusals_earn_nothing_in_the_simulation(scenarios_dir, standin):
    from gaia_sim.runner import simulate

    s = scen(scenarios_dir, "lazy_nodes", **{"behaviours.lazy.mode": "refusal", "strategy.dynamics": "none"})
    steps = simulate(s, answers=standin).steps
    lazy = steps[(steps.role == "node") & (steps.behaviour == "lazy")]
    assert lazy.requests_served.sum() > 0 and lazy.revenue.sum() == 0.0


@pytest.mark.parametrize("rate", [0.24, 1.0])
def test_a_refusal_pays_no_more_than_dropping_the_request(scenarios_dir, standin, rate):
    """Closed form (the same rules): refusing and dropping both earn nothing for the request, so the
    refusal attack can only differ by the queue (refusals take no compute either)."""
    from gaia_sim.deterrence import mean_economics

    prof = {}
    for mode in ("refusal", "missing"):
        s = scen(scenarios_dir, "lazy_nodes", **{"behaviours.lazy.mode": mode, "behaviours.lazy.skip_rate": rate})
        rv, co = mean_economics(s, standin, "lazy")
        prof[mode] = (rv, rv - co)
    assert prof["refusal"][1] <= prof["missing"][1] + 0.02 * prof["missing"][0]


# ---- 3. limited liability ------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["model_swap", "lazy_nodes", "kb_swap", "collusion_ring"])
def test_no_balance_goes_negative_and_the_ledger_holds_every_epoch(scenarios_dir, standin, name):
    from gaia_sim.slashing import EJECTED

    s = scen(scenarios_dir, name, epochs=30, **{"slashing.slash_fraction": 0.5, "strategy.revision_rate": 0.3})
    m = GaiaModel(s, standin)
    for _ in range(s.epochs):
        m.step()
        m.check_invariants()
        assert m.state.ledger.balance.min() >= 0.0
        steps = m.recorder.steps[-7:]
        assert all(r["balance"] >= 0.0 for r in steps)
    # a slash of 500 cannot be topped up from a balance of ~100: the cheater is ejected
    assert (m.state.status == EJECTED).any()


def test_an_ejected_operator_keeps_its_books_and_waits_out_the_delays(scenarios_dir, standin):
    from gaia_sim.slashing import EJECTED
    from gaia_sim.staking import EXITED, EXITING

    s = scen(scenarios_dir, "model_swap", epochs=40, **{"slashing.slash_fraction": 0.5, "strategy.entry_rate": 0.5})
    m = GaiaModel(s, standin)
    first, lid = None, None
    for e in range(1, s.epochs + 1):
        m.step()
        out = np.flatnonzero(m.state.status == EJECTED)
        if first is None and len(out):
            first, lid = e, int(m.state.lid_node[out[0]])
            assert m.state.ledger.status[lid] == EXITING
    assert first is not None
    delay = m.state.ledger.delays.deallocation + m.state.ledger.delays.withdrawal
    if first + delay <= s.epochs:
        assert m.state.ledger.status[lid] == EXITED
    # a newcomer in the slot has its own ledger account: the ejected operator's books stay with it
    assert lid not in set(m.state.lid_node[m.state.present].tolist())


def test_insolvent_operators_exit_instead_of_running_up_debt(scenarios_dir, standin):
    from gaia_sim.slashing import EXITED as GONE

    s = scen(scenarios_dir, "baseline", epochs=8, **{"costs.fixed_cost": 40.0})  # loses ~37 per epoch
    m = GaiaModel(s, standin)
    for _ in range(s.epochs):
        m.step()
        assert m.state.ledger.balance.min() >= 0.0
    assert (m.state.status == GONE).all()  # a balance of 100 covers 2-3 epochs of losses


def test_the_simulation_checks_limited_liability_every_epoch(scenarios_dir, standin):
    from gaia_sim.epoch import check_limited_liability

    m = GaiaModel(scen(scenarios_dir, "baseline"), standin)
    m.step()
    m.state.ledger.balance[0] = -1.0
    with pytest.raises(AssertionError, match="limited liability"):
        check_limited_liability(m.state)


# ---- 4. capital cost of stake and the participation band -----------------------------------------
def test_capital_cost_compounds_the_annual_rate_down_to_an_epoch():
    year = costs.capital_cost(1000.0, 0.03, 8760.0)
    assert year == pytest.approx(30.0)
    day = costs.capital_cost(1000.0, 0.03, 24.0)
    assert (1 + day / 1000) ** 365 == pytest.approx(1.03)
    assert costs.capital_cost(1000.0, 0.0, 24.0) == 0.0


def test_the_simulation_charges_the_capital_cost_on_locked_stake(scenarios_dir, standin):
    from gaia_sim.runner import simulate

    base = scen(scenarios_dir, "baseline", epochs=3, **{"staking.capital_rate": 0.0})
    dear = base.with_overrides({"staking.capital_rate": 1.0})
    a, b = (simulate(s, answers=standin).steps for s in (base, dear))
    na, nb = a[a.role == "node"], b[b.role == "node"]
    per_node = costs.capital_cost(base.staking.node_stake, 1.0, base.network.epoch_hours)
    assert (nb.cost.sum() - na.cost.sum()) == pytest.approx(per_node * na["count"].sum())


def test_the_stake_band_is_where_both_conditions_hold():
    from gaia_sim.deterrence import Deterrence

    d = Deterrence(0.3, 0.5, 0.0, 5.0, 2.0, false_positive=0.01, honest_profit=1.0, capital_rate=1e-4)
    lo, hi = d.stake_band
    assert 0 < lo < hi
    for s in (lo * 1.01, (lo + hi) / 2, hi * 0.99):
        x = Deterrence(**{**d.__dict__, "stake": s})
        assert x.deters and x.participation_margin >= 0
    assert not Deterrence(**{**d.__dict__, "stake": lo * 0.9}).deters
    assert Deterrence(**{**d.__dict__, "stake": hi * 1.1}).participation_margin < 0
    poor = Deterrence(**{**d.__dict__, "honest_profit": 0.06})
    assert poor.band_empty


def test_deterrence_cli_reports_the_band(tmp_path):
    import json
    import subprocess
    import sys

    out = tmp_path / "d.json"
    cmd = [sys.executable, "-m", "gaia_sim.cli", "deterrence", "scenarios/model_swap.toml"]
    cmd += ["--set", 'answers="stand-in"', "--tpr", "0.3", "--fpr", "0.01", "--json", str(out)]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=str(SCEN_ROOT))
    assert r.returncode == 0, r.stderr
    assert "stake band that deters AND keeps honest nodes in" in r.stdout
    o = json.loads(out.read_text())
    assert set(o["stake_band"]) == set(o["min_stake"])


# ---- bad input: one clear message, exit 2 --------------------------------------------------------
@pytest.mark.parametrize(
    "setting, key",
    [
        ("staking.capital_rate=-0.01", "capital_rate"),
        ("strategy.imitation_scale=0", "imitation_scale"),
        ("rewards.min_answer_tokens=-1", "min_answer_tokens"),
        ("slashing.graduated_step=0.5", "graduated_step"),
    ],
)
def test_bad_economics_input_exits_2_with_one_message(setting, key):
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "gaia_sim.cli", "deterrence", "scenarios/model_swap.toml", "--set", setting]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=str(SCEN_ROOT))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert key in r.stderr and "model_swap.toml" in r.stderr


# ---- the shipped boundary scenarios (issue 13 item 7) --------------------------------------------
@pytest.mark.parametrize(
    "name, p, margin",
    [
        ("lazy_deterred", 0.500, 0.924),
        ("lazy_undeterred", 0.500, -0.901),
        ("model_swap_deterred", 0.533, 0.137),
        ("model_swap_undeterred", 0.533, -0.129),
    ],
)
def test_boundary_scenarios_sit_near_the_line_inside_the_band(name, p, margin):
    """scenarios/boundary/: each pair straddles the deterrence line by less than C (a stake change by a
    factor 2-6 flips it) with honest nodes inside the participation band (docs/economics.md; p: the
    guilty-verdict rate `gaia-sim deterrence` measured, q = 0)."""
    from gaia_sim.answers.bank import load_default_bank
    from gaia_sim.deterrence import from_scenario

    s = load_scenario(SCEN_ROOT / "scenarios" / "boundary" / f"{name}.toml")
    d = from_scenario(s, load_default_bank(), tpr=p, fpr=0.0, verdict_rates=True)
    assert d.margin == pytest.approx(margin, abs=0.01)
    assert abs(d.margin) < d.cost_saving and d.deters == name.endswith("_deterred")
    assert d.participation_margin > 0 and d.max_stake > d.stake
