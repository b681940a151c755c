"""The attacker registry (gaia_sim/attacks.py) and the simulation capabilities it needs: burst
cheating (behaviours.burst) and validator bribery (behaviours.colluding.bribe)."""

from __future__ import annotations

import numpy as np
import pytest

from gaia_sim import attacks, rewards
from gaia_sim.errors import UserError
from gaia_sim.scenario import Scenario, load_scenario


def test_every_attack_is_typed_cited_and_maps_onto_real_parameters():
    assert {"model_swap", "diluted", "cache_replay", "sybil_group", "burst", "probe_learning"} <= set(attacks.ATTACKS)
    assert {"colluding_validators", "bribed_validators", "canned_refusal", "kb_skip"} <= set(attacks.ATTACKS)
    for name, a in attacks.ATTACKS.items():
        assert a.name == name and len(a.source) > 20, name
        assert all(isinstance(s, (attacks.Range, attacks.Choice)) for s in a.space.values()), name
        dep = name if a.deploys else a.needs[0]
        chosen = {dep: attacks.attack(dep).defaults()} | ({name: a.defaults()} if not a.deploys else {})
        over = attacks.combine(chosen)
        s = Scenario().with_overrides(over)  # every key is a parameter, every value valid
        assert abs(sum(s.population.model_dump().values()) - 1.0) < 1e-12
        assert s.population.honest < 1.0


def test_attacks_combine_freely_and_conflicts_are_refused_by_name():
    both = attacks.combine({"diluted": {"share": 0.2, "cheat_rate": 0.1, "swap_to": "cheaper_model"},
                            "kb_skip": {"share": 0.1, "swap_to": "no_kb"},
                            "burst": {"epoch_share": 0.5, "coordinated": True},
                            "probe_learning": {}})  # fmt: skip
    assert both["population.honest"] == pytest.approx(0.7)
    assert both["traffic.learned_questions"] == "public" and both["behaviours.burst.epoch_share"] == 0.5
    with pytest.raises(UserError, match=r"'model_swap' and 'diluted' conflict: both set behaviours.model_swapping"):
        attacks.combine({"model_swap": {"share": 0.2, "swap_to": "cheaper_model"},
                         "diluted": {"share": 0.2, "cheat_rate": 0.5, "swap_to": "cheaper_model"}})  # fmt: skip
    with pytest.raises(UserError, match="acts on diluted"):
        attacks.combine({"model_swap": {"share": 0.2, "swap_to": "cheaper_model"}, "probe_learning": {}})
    with pytest.raises(UserError, match="none deploys"):
        attacks.combine({"burst": {"epoch_share": 0.5, "coordinated": False}})
    with pytest.raises(UserError, match="at most 0.49"):
        attacks.combine({"sybil_group": {"share": 0.3, "ring_model": "low_precision"},
                         "kb_skip": {"share": 0.3, "swap_to": "no_kb"}})  # fmt: skip
    with pytest.raises(UserError, match=r"attack 'diluted': cheat_rate: 1.5 is not allowed; allowed: a number in"):
        attacks.combine({"diluted": {"share": 0.2, "cheat_rate": 1.5, "swap_to": "cheaper_model"}})
    with pytest.raises(UserError, match="allowed: 'wrong_kb', 'no_kb'"):
        attacks.combine({"kb_skip": {"share": 0.2, "swap_to": "everything"}})


def test_bribe_bills_and_income_by_hand():
    ring = np.array([True, True, False, True, False])
    node_domain = np.array([0, 0, 0, 1, 1])
    bribed = np.array([True, False, True, True])
    validator_domain = np.array([0, 0, 1, 1])
    bills = rewards.bribe_bills(ring, node_domain, bribed, validator_domain, 3.0)
    # domain 0: one bribed validator, two ring nodes -> 1.5 each; domain 1: two bribed, one node -> 6
    assert bills.tolist() == [1.5, 1.5, 0.0, 6.0, 0.0]
    income = rewards.bribe_income(np.array([1.5, 1.0, 0.0, 6.0, 0.0]), node_domain, bribed, validator_domain)
    assert income.tolist() == [2.5, 0.0, 3.0, 3.0]  # what was paid, not what was owed


def _run(overrides, epochs=3):
    from gaia_sim.runner import simulate

    base = load_scenario("scenarios/collusion_ring.toml").with_overrides(
        {"epochs": epochs, "network.nodes_per_domain": 12, "strategy.dynamics": "none", **overrides}
    )
    return simulate(base).steps.groupby(["role", "behaviour"])[["count", "cost", "profit"]].sum()


def test_a_bribe_moves_tokens_from_the_ring_to_the_colluding_validators():
    shielded = {"validation.quorum": 0.75}  # 5 of 7 honest validators are short of it: no ring node is ejected
    free, paid = _run(shielded), _run(shielded | {"behaviours.colluding.bribe": 0.5})
    extra_cost = paid.loc[("node", "colluding"), "cost"] - free.loc[("node", "colluding"), "cost"]
    # 2 of 7 colluding validators x 0.5 tokens x 3 epochs, paid by the ring (its balance covers it)
    assert extra_cost == pytest.approx(2 * 0.5 * 3)
    gained = paid.loc[("validator", "colluding"), "profit"] - free.loc[("validator", "colluding"), "profit"]
    assert gained == pytest.approx(extra_cost)
    assert paid.loc[("node", "honest"), "cost"] == pytest.approx(free.loc[("node", "honest"), "cost"])


def test_burst_cheaters_serve_honestly_off_their_epochs():
    from gaia_sim.epoch.traffic import burst_on
    from gaia_sim.params import BurstParams

    assert burst_on(5, BurstParams(), 1, 3).all()
    together = [burst_on(50, BurstParams(epoch_share=0.5, coordinated=True), 1, e) for e in range(40)]
    assert all(on.all() or not on.any() for on in together) and 5 < sum(on.all() for on in together) < 35
    alone = np.array([burst_on(50, BurstParams(epoch_share=0.3), 1, e) for e in range(40)])
    assert 0.2 < alone.mean() < 0.4 and not all(on.all() or not on.any() for on in alone)
    # in a run: never on, a model swapper is never convicted and pays what an honest node pays;
    # always on (the default), it is
    over = {"population.colluding": 0.0, "population.model_swapping": 0.25, "validator_population.colluding": 0.0,
            "validator_population.honest": 1.0, "behaviours.model_swapping.swap_to": "cheaper_model",
            "probes.questions_per_epoch": 10}  # fmt: skip
    off = _flags(over | {"behaviours.burst.epoch_share": 0.0})
    on = _flags(over)
    assert off["guilty"] == 0 and on["guilty"] > 0
    assert off["cost"] > on["cost"]  # the cheap model costs less while it is served


def _flags(overrides):
    from gaia_sim.runner import simulate

    s = load_scenario("scenarios/collusion_ring.toml").with_overrides(
        {"epochs": 3, "network.nodes_per_domain": 12, "strategy.dynamics": "none", **overrides}
    )
    st = simulate(s).steps
    m = st[(st["role"] == "node") & (st["behaviour"] == "model_swapping")]
    return {"guilty": int(m["flagged"].sum()), "cost": float((m["cost"].sum()) / m["count"].sum())}


def test_tokens_are_conserved_every_epoch_with_bribes_and_bursts(standin):
    from gaia_sim.model import GaiaModel

    s = load_scenario("scenarios/collusion_ring.toml").with_overrides(
        {
            "epochs": 6,
            "behaviours.colluding.bribe": 40.0,
            "behaviours.burst.epoch_share": 0.5,
            "validation.quorum": 0.75,
        }
    )
    m = GaiaModel(s, standin)
    for _ in range(s.epochs):
        m.step()
        m.check_invariants()
        assert m.state.ledger.balance.min() >= 0.0  # a bribe larger than the balance is paid in part


@pytest.mark.parametrize("name", ["lazy_nodes", "model_swap", "kb_swap", "collusion_ring"])
def test_a_shipped_scenarios_threat_is_a_registered_attack(name):
    s = load_scenario(f"scenarios/{name}.toml")
    own = attacks.of_scenario(s)
    assert own is not None
    assert s.with_overrides(attacks.combine(own)).hash == s.hash  # the attack is exactly the scenario's mix
    assert attacks.of_scenario(load_scenario("scenarios/baseline.toml")) is None


def test_an_attack_and_its_honest_twin_put_the_same_stacks_on_the_same_node_ids():
    """What a paired gain (experiments/e035_edges_red_team/paired_gain.py) rests on: handing an
    attack's share back to honest (attacks.honest_twin) moves no node id and no stack draw, only the
    attackers' behaviour."""
    from gaia_sim.epoch import build_state
    from gaia_sim.runner import load_answers

    chosen = {"kb_skip": {"share": 0.1, "swap_to": "no_kb"}}
    base = load_scenario("scenarios/model_swap.toml").with_overrides({"seed": 3})
    attack, twin = base.with_overrides(attacks.combine(chosen)), base.with_overrides(attacks.honest_twin(chosen))
    assert twin.population.kb_swapping == 0.0 and twin.population.honest == pytest.approx(1.0)
    answers = load_answers(attack.answers)
    a, t = build_state(attack, answers), build_state(twin, answers)
    mine = a.behaviour == "kb_swapping"
    assert mine.sum() == 3 and (t.behaviour[mine] == "honest").all()
    assert (a.behaviour[~mine] == t.behaviour[~mine]).all() and (a.stack_role == t.stack_role).all()
