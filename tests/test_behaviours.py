"""One contract for every node and every validator behaviour (after Axelrod's shared strategy test
base): registered by name with every trait declared, cites a source, and its one decision agrees
with its traits. A new behaviour is checked by being registered; nothing here names one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gaia_sim.nodes import NODE_BEHAVIOURS, NODE_TRAITS, NodeBehaviour, NodeContext, ServingPlan, with_trait
from gaia_sim.nodes.base import register
from gaia_sim.params import NODE_BEHAVIOURS as NODE_NAMES
from gaia_sim.params import VALIDATOR_BEHAVIOURS as VALIDATOR_NAMES
from gaia_sim.scenario import load_scenario
from gaia_sim.validators import VALIDATOR_BEHAVIOURS, VALIDATOR_TRAITS, Ballot, validators_with_trait


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml").with_overrides(
        {"answers": "stand-in"}
    )


def test_the_registries_are_the_schema_names():
    assert tuple(NODE_BEHAVIOURS) == NODE_NAMES and tuple(VALIDATOR_BEHAVIOURS) == VALIDATOR_NAMES


def test_registration_refuses_missing_traits():
    class Sloppy(NodeBehaviour):
        name = "sloppy"
        traits = {"cheats": True}

    with pytest.raises(TypeError, match="traits"):
        register(Sloppy)
    assert "sloppy" not in NODE_BEHAVIOURS
    with pytest.raises(KeyError):
        with_trait("saves_compute")


# ---- node behaviours ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(NODE_BEHAVIOURS))
class TestNodeBehaviour:
    def test_registered_with_traits_and_a_source(self, name):
        cls = NODE_BEHAVIOURS[name]
        assert cls.name == name and set(cls.traits) == set(NODE_TRAITS)
        assert all(isinstance(v, bool) for v in cls.traits.values())
        assert cls.source and cls.__doc__

    @pytest.mark.parametrize("stack", ["claimed", "honest_seed"])
    def test_plan_serves_known_roles_on_its_own_stack(self, name, stack, scenario, standin):
        plan = NODE_BEHAVIOURS[name]().plan(NodeContext(stack, scenario))
        assert isinstance(plan, ServingPlan) and 0.0 <= plan.cheat_rate <= 1.0
        assert plan.honest_role == stack
        known = set(standin.roles) | set(standin.roles["honest_variants"])
        assert {plan.user_role, plan.probe_role} - {None} <= known

    def test_cheats_trait_matches_the_plan(self, name, scenario):
        cls = NODE_BEHAVIOURS[name]
        plan = cls().plan(NodeContext("claimed", scenario))
        serves_claimed = plan.user_role == plan.probe_role == "claimed" or plan.cheat_rate == 0.0
        assert cls.traits["cheats"] is not serves_claimed

    def test_colluders_and_kb_skippers_cheat(self, name):
        t = NODE_BEHAVIOURS[name].traits
        assert not (t["colludes"] or t["skips_kb"]) or t["cheats"]


# ---- validator behaviours ----------------------------------------------------------------------
def ballot(seed: int, n: int = 40, ring: bool | None = None) -> Ballot:
    rng = np.random.default_rng(seed)
    ring_member = rng.random(n) < 0.3 if ring is None else np.full(n, ring)
    return Ballot(rng.random(n) < 0.5, ring_member, rng.random(n) < 0.5)


@pytest.mark.parametrize("name", list(VALIDATOR_BEHAVIOURS))
class TestValidatorBehaviour:
    def test_registered_with_traits(self, name):
        cls = VALIDATOR_BEHAVIOURS[name]
        assert cls.name == name and set(cls.traits) == set(VALIDATOR_TRAITS) and cls.__doc__
        assert cls().queries is cls.traits["queries"]

    @pytest.mark.parametrize("seed", range(5))
    def test_votes_and_appeals_are_one_bool_per_node(self, name, seed):
        b, v = ballot(seed), VALIDATOR_BEHAVIOURS[name]()
        for out in (v.vote(b), v.appeal(b.evidence_flags, b.ring_member)):
            assert out.dtype == bool and out.shape == b.evidence_flags.shape

    def test_votes_on_fresh_nodes_without_evidence_are_innocent(self, name):
        n = 10
        v = VALIDATOR_BEHAVIOURS[name]()
        assert not v.vote(Ballot(np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool))).any()

    def test_only_colluders_shield_the_ring(self, name):
        v = VALIDATOR_BEHAVIOURS[name]()
        inside, outside = ballot(7, ring=True), ballot(7, ring=False)
        if v.traits["colludes"]:
            assert not v.vote(inside).any() and not v.appeal(np.ones(40, bool), np.ones(40, bool)).any()
        else:
            assert np.array_equal(v.vote(inside), v.vote(outside))
            assert np.array_equal(
                v.appeal(inside.evidence_flags, inside.ring_member),
                v.appeal(inside.evidence_flags, outside.ring_member),
            )

    def test_a_validator_that_does_not_query_cannot_use_the_evidence(self, name):
        v = VALIDATOR_BEHAVIOURS[name]()
        b = ballot(3)
        flipped = Ballot(~b.evidence_flags, b.ring_member, b.last_verdict)
        assert np.array_equal(v.vote(b), v.vote(flipped)) is (not v.queries)


def test_trait_selection():
    assert with_trait("cheats", False) == ["honest"]
    assert validators_with_trait("colludes") == ["colluding"]
    assert validators_with_trait("queries", False) == ["lazy"]
