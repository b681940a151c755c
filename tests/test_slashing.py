"""Slashing rules: table-driven per rule, plus properties shared by every rule."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaia_sim.slashing import RULES, RuleParams, SlashInput

P = RuleParams(
    slash_fraction=0.1,
    graduated_step=2.0,
    max_fraction=1.0,
    evidence_threshold=4.0,
    jail_epochs=5,
    eject_after=3,
    dispute_bond=7.0,
    dispute_majority=0.5,
)

V = np.array([True, True, False, True])


@pytest.mark.parametrize(
    "rule, kwargs, fraction",
    [
        ("fixed", {}, [0.1, 0.1, 0.0, 0.1]),
        ("graduated", {"offences": [0, 1, 5, 4]}, [0.1, 0.2, 0.0, 1.0]),
        ("evidence_threshold", {"evidence": [5.0, 3.9, 9.0, 4.0]}, [0.1, 0.0, 0.0, 0.1]),
        ("jail_eject", {"offences": [0, 2, 5, 1]}, [0.1, 1.0, 0.0, 0.1]),
        (
            "dispute",
            {"challenge": [True, True, True, False], "dispute_guilty_share": [0.3, 0.8, 0.0, 0.0]},
            [0.0, 0.1, 0.0, 0.1],
        ),
    ],
)
def test_rule_table(rule, kwargs, fraction):
    d = RULES[rule](SlashInput(V, epoch=10, **kwargs), P)
    assert d.fraction == pytest.approx(fraction)


def test_jail_and_eject():
    d = RULES["jail_eject"](SlashInput(V, epoch=10, offences=[0, 2, 5, 1]), P)
    assert list(d.eject) == [False, True, False, False]
    assert list(d.jail_until) == [15, -1, -1, 15]
    assert list(d.offences) == [1, 3, 5, 2]
    assert set(d.events["kind"]) == {"slash_decision", "jail", "eject"}


def test_dispute_bond_and_offences():
    d = RULES["dispute"](
        SlashInput(
            V,
            epoch=1,
            offences=[2, 2, 2, 2],
            challenge=[True, True, True, False],
            dispute_guilty_share=[0.3, 0.8, 0.0, 0.0],
        ),
        P,
    )
    assert list(d.overturned) == [True, False, False, False]
    assert d.bond_lost == pytest.approx([0.0, 7.0, 0.0, 0.0])
    assert list(d.offences) == [2, 3, 2, 3]
    kinds = list(d.events["kind"])
    assert kinds.count("dispute_won") == 1 and kinds.count("dispute_lost") == 1
    assert 0 not in d.events["operator"][d.events["kind"] == "slash_decision"]


def test_dispute_over_jail_eject_base():
    p = RuleParams(dispute_base="jail_eject", jail_epochs=3)
    d = RULES["dispute"](SlashInput(np.array([True]), epoch=4, challenge=[True], dispute_guilty_share=[0.0]), p)
    assert d.fraction[0] == 0.0 and d.jail_until[0] == -1


@settings(max_examples=200, deadline=None)
@given(data=st.data(), rule=st.sampled_from(sorted(RULES)))
def test_no_slash_without_verdict_and_fraction_in_unit_interval(data, rule):
    n = data.draw(st.integers(1, 30))
    arr = lambda s: np.array(data.draw(st.lists(s, min_size=n, max_size=n)))
    inp = SlashInput(
        verdict=arr(st.booleans()),
        epoch=3,
        offences=arr(st.integers(0, 10)),
        evidence=arr(st.floats(-10, 20)),
        challenge=arr(st.booleans()),
        dispute_guilty_share=arr(st.floats(0, 1)),
    )
    p = RuleParams(slash_fraction=data.draw(st.floats(0, 1)), graduated_step=data.draw(st.floats(1, 4)))
    d = RULES[rule](inp, p)
    assert np.all((d.fraction >= 0) & (d.fraction <= 1))
    assert np.all(d.fraction[~inp.verdict] == 0)
    assert np.all(d.bond_lost[~inp.verdict] == 0)
    assert not np.any(d.eject & ~inp.verdict)


def test_rule_names_match_schema():
    from typing import get_args

    from gaia_sim.params import SlashingParams, SlashRule

    assert set(get_args(SlashRule)) == set(RULES)
    # the schema object is a valid parameter object for every rule
    for name in RULES:
        RULES[name](SlashInput(np.array([True, False]), epoch=1), SlashingParams(rule=name))
