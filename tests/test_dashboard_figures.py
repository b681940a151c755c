"""The dashboard's figures are pure functions of results frames: tested here without Dash."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard import figures as F

BEHAVIOURS = ("honest", "lazy")


def _steps(epochs: int = 5) -> pd.DataFrame:
    """Synthetic steps.parquet rows (schema of docs/architecture.md): lazy nodes die out, honest take over."""
    rows = []
    for e in range(1, epochs + 1):
        lazy = max(0, 4 - e)
        for role, behaviour, count in (
            ("node", "honest", 10 - lazy),
            ("node", "lazy", lazy),
            ("validator", "honest", 3),
        ):
            total = 10 if role == "node" else 3
            rows.append(
                dict(
                    epoch=e,
                    role=role,
                    behaviour=behaviour,
                    count=count,
                    share=count / total,
                    stake=100.0 * count,
                    balance=5.0 * e * count,
                    revenue=2.0 * count,
                    cost=(1.0 if behaviour == "honest" else 0.2) * count,
                    profit=1.0 * count,
                    slashed=50.0 if behaviour == "lazy" and count else (7.0 if e == 2 and role == "node" else 0.0),
                    slashed_count=1 if behaviour == "lazy" and count else 0,
                    flagged=count // 2,
                    wrongly_flagged=1 if e == 2 and behaviour == "honest" else 0,
                    wrongly_slashed=7.0 if e == 2 and behaviour == "honest" and role == "node" else 0.0,
                    probed=count,
                    requests_served=10 * count,
                    requests_timed_out=0,
                )
            )
    return pd.DataFrame(rows)


def _events(n: int = 40, separation: float = 3.0, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cheat = np.arange(n) % 4 == 0
    score = rng.normal(size=n) + separation * cheat
    return pd.DataFrame(
        dict(
            epoch=1,
            kind="verdict",
            node=np.arange(n),
            validator=0,
            behaviour=np.where(cheat, "lazy", "honest"),
            amount=0.0,
            score=score,
            p_value=np.exp(-np.abs(score)),
            flagged=score > 1.5,
            detail="",
        )
    )


def _trace(fig: go.Figure, name: str):
    return next(t for t in fig.data if t.name == name)


def test_behaviour_shares_one_line_per_node_behaviour_and_validators_excluded():
    fig = F.fig_behaviour_shares(_steps())
    assert sorted(t.name for t in fig.data) == ["honest", "lazy"]
    lazy = _trace(fig, "lazy")
    assert list(lazy.x) == [1, 2, 3, 4, 5]
    np.testing.assert_allclose(lazy.y, [0.3, 0.2, 0.1, 0.0, 0.0])
    np.testing.assert_allclose(_trace(fig, "honest").y, [0.7, 0.8, 0.9, 1.0, 1.0])


def test_stake_and_balance_have_two_panels_and_sum_per_behaviour():
    fig = F.fig_stake_balance(_steps())
    stake = [t for t in fig.data if t.name == "honest" and t.yaxis in ("y", None)][0]
    np.testing.assert_allclose(stake.y, [700, 800, 900, 1000, 1000])
    balances = [t for t in fig.data if t.yaxis == "y2"]
    assert {t.name for t in balances} == set(BEHAVIOURS)


def test_legends_only_show_behaviours_present_in_the_run():
    steps = _steps()
    absent = steps[steps["behaviour"] == "lazy"].assign(
        behaviour="colluding", count=0, share=0.0, stake=0.0, balance=0.0, revenue=0.0, cost=0.0, profit=0.0
    )
    steps = pd.concat([steps, absent], ignore_index=True)
    assert F.present(steps) == ["honest", "lazy"]
    for fig in (F.fig_behaviour_shares(steps), F.fig_stake_balance(steps)):
        assert {t.name for t in fig.data} == {"honest", "lazy"}
    assert {t.legendgroup for t in F.fig_revenue_cost(steps).data} == {"honest", "lazy"}
    assert "debts" in F.fig_stake_balance(steps).layout.annotations[1].text


def test_slashes_split_right_and_wrong():
    fig = F.fig_slashes(_steps())
    wrong = _trace(fig, "wrong (honest)")
    right = _trace(fig, "right (cheaters)")
    np.testing.assert_allclose(wrong.y, [0, 7, 0, 0, 0])
    np.testing.assert_allclose(right.y, [50, 50, 50, 0, 0])


def test_revenue_and_cost_are_per_node_and_nan_when_a_behaviour_is_extinct():
    fig = F.fig_revenue_cost(_steps())
    cost = _trace(fig, "lazy cost")
    np.testing.assert_allclose(cost.y[:3], [0.2, 0.2, 0.2])
    assert np.isnan(cost.y[3])
    np.testing.assert_allclose(_trace(fig, "honest revenue").y, [2.0] * 5)


def test_roc_curve_matches_closed_cases():
    fpr, tpr, auc = F.roc_curve(np.array([3, 2, 1, 0]), np.array([True, True, False, False]))
    assert auc == pytest.approx(1.0)
    fpr, tpr, auc = F.roc_curve(np.array([0, 1, 2, 3]), np.array([True, True, False, False]))
    assert auc == pytest.approx(0.0)
    # all scores tied: a single step to (1, 1), AUC one half
    fpr, tpr, auc = F.roc_curve(np.ones(6), np.array([1, 0, 1, 0, 1, 0], bool))
    assert auc == pytest.approx(0.5) and list(fpr) == [0.0, 1.0]


def test_roc_auc_equals_mann_whitney_probability():
    rng = np.random.default_rng(1)
    s, p = rng.normal(size=200), rng.random(200) < 0.3
    s[p] += 1.0
    _, _, auc = F.roc_curve(s, p)
    pairs = (s[p][:, None] > s[~p][None, :]).mean()
    assert auc == pytest.approx(pairs)


def test_fig_roc_uses_verdicts_and_marks_operating_point():
    events = pd.concat([_events(), _events().assign(kind="probe", score=np.nan)])
    fig = F.fig_roc(events)
    roc = fig.data[0]
    assert roc.name.startswith("ROC (AUC ")
    assert float(roc.name.split()[-1].rstrip(")")) > 0.9
    op = _trace(fig, "operating point (flagged)")
    ev = _events()
    assert op.x[0] == pytest.approx(ev.flagged[ev.behaviour == "honest"].mean())


def test_fig_roc_with_only_honest_nodes_says_why():
    fig = F.fig_roc(_events().assign(behaviour="honest"))
    assert not fig.data and "both honest and cheating" in fig.layout.annotations[0].text


@pytest.mark.parametrize("fn", [F.fig_behaviour_shares, F.fig_stake_balance, F.fig_slashes, F.fig_revenue_cost])
def test_empty_steps_give_an_empty_figure(fn):
    fig = fn(_steps().iloc[0:0])
    assert isinstance(fig, go.Figure) and not fig.data


def _sweep() -> pd.DataFrame:
    rng = np.random.default_rng(2)
    rows = [
        dict(
            **{"staking.node_stake": s, "slashing.fraction": f, "replication": r},
            final_honest_share=min(1.0, s * f / 50) + rng.normal(scale=0.01),
        )
        for s in (10, 50, 100)
        for f in (0.1, 0.5, 1.0)
        for r in range(4)
    ]
    return pd.DataFrame(rows)


def test_phase_diagram_averages_replications_and_overlays_boundary():
    sweep = _sweep()
    boundary = pd.DataFrame({"x": [10, 50, 100], "y": [1.0, 0.5, 0.1]})
    fig = F.fig_phase_diagram(sweep, "staking.node_stake", "slashing.fraction", "final_honest_share", boundary)
    heat = fig.data[0]
    assert list(heat.x) == [10, 50, 100] and list(heat.y) == [0.1, 0.5, 1.0]
    expected = sweep.groupby(["slashing.fraction", "staking.node_stake"]).final_honest_share.mean()
    assert heat.z[2][2] == pytest.approx(expected[(1.0, 100)])
    assert list(_trace(fig, "deterrence boundary").y) == [1.0, 0.5, 0.1]


def test_replication_bands_bracket_the_mean():
    fig = F.fig_replication_bands(_sweep(), "staking.node_stake", "final_honest_share", group="slashing.fraction")
    lines = [t for t in fig.data if t.fill is None]
    bands = [t for t in fig.data if t.fill == "toself"]
    assert len(lines) == 3 and len(bands) == 3
    for line, band in zip(lines, bands):
        n = len(line.x)
        hi, lo = np.asarray(band.y[:n]), np.asarray(band.y[n:])[::-1]
        assert np.all(lo <= np.asarray(line.y) + 1e-12) and np.all(np.asarray(line.y) <= hi + 1e-12)


def test_phase_diagram_with_unknown_column_is_empty_not_an_error():
    assert not F.fig_phase_diagram(_sweep(), "nope", "slashing.fraction", "final_honest_share").data


def test_answer_pca_colours_by_node_or_behaviour_and_shows_text():
    pts = pd.DataFrame(
        dict(
            pc1=[0, 1, 2, 3],
            pc2=[0, 1, 0, 1],
            node=[0, 0, 1, 2],
            behaviour=["honest", "honest", "lazy", "honest"],
            question=["q1"] * 4,
            text=["Paris is the capital.", "Paris.", "I cannot answer.", "x" * 200],
        )
    )
    by_b = F.fig_answer_pca(pts)
    assert sorted(t.name for t in by_b.data) == ["behaviour honest", "behaviour lazy"]
    assert "I cannot answer." in _trace(by_b, "behaviour lazy").hovertext[0]
    assert len(F.fig_answer_pca(pts, colour_by="node").data) == 3


def test_node_scores_log_p_values_and_alpha_line():
    sc = pd.DataFrame(
        dict(
            node=[0, 1, 2],
            behaviour=["honest", "honest", "lazy"],
            score=[0.1, 0.3, 5.0],
            p_value=[0.6, 0.3, 1e-5],
            flagged=[False, False, True],
        )
    )
    fig = F.fig_node_scores(sc, alpha=0.01)
    assert fig.layout.yaxis2.type == "log"
    lazy_p = [t for t in fig.data if t.name == "lazy" and t.type == "scatter"][0]
    assert lazy_p.marker.symbol[0] == "x"


def test_network_marks_slashed_and_kinds():
    v = pd.DataFrame(
        dict(
            id=["set0", "v0", "n0", "n1"],
            kind=["operator_set", "validator", "node", "node"],
            x=[0, 1, 2, 3],
            y=[0, 1, 0, 1],
            behaviour=["operator set", "honest", "honest", "lazy"],
            status=["", "active", "active", "ejected"],
            slashed=[False, False, False, True],
            label=["set 0", "validator 0", "node 0", "node 1"],
        )
    )
    e = pd.DataFrame(dict(x0=[0, 0], y0=[0, 0], x1=[2, 3], y1=[0, 1], kind=["member", "member"]))
    fig = F.fig_network(v, e)
    lazy = _trace(fig, "node: lazy")
    assert lazy.marker.line.width[0] == 3 and lazy.marker.opacity[0] < 1
    assert _trace(fig, "node: honest").marker.line.width[0] < 3
    assert list(_trace(fig, "member edge").x[:2]) == [0, 2]


def test_phase_diagram_draws_a_margin_grid_as_its_zero_contour():
    xs, ys = np.linspace(10, 100, 5), np.linspace(0.1, 1.0, 4)
    grid = pd.DataFrame([dict(x=a, y=b, margin=a * b - 30) for b in ys for a in xs])
    fig = F.fig_phase_diagram(_sweep(), "staking.node_stake", "slashing.fraction", "final_honest_share", grid)
    contour = _trace(fig, "deterrence boundary")
    assert contour.type == "contour" and contour.contours.start == contour.contours.end == 0
    assert np.asarray(contour.z).shape == (4, 5) and contour.z[0][0] == pytest.approx(10 * 0.1 - 30)


def _prim_doc() -> dict:
    """A prim.json (gaia_sim.sweep.discovery.discovery_json's form) with two boxes over three inputs."""
    stake, slash, lazy = "staking.node_stake", "slashing.slash_fraction", "population.lazy"
    box = {"coverage": 0.7, "density": 0.9, "mass": 0.3, "n": 30, "k": 27, "quasi_p": {}, "meets_density": True}
    return {
        "outcome": "cheating_pays",
        "definition": "...",
        "cells": 100,
        "cells_where_cheating_pays": 40,
        "base_rate": 0.4,
        "parameters": {"min_density": 0.8},
        "inputs": {
            stake: {"low": 1.0, "high": 50.0},
            slash: {"low": 0.05, "high": 1.0},
            lazy: {"low": 0.1, "high": 0.4},
        },
        "boxes": [
            {**box, "id": 1, "limits": {stake: {"low": 1.0, "high": 5.0}, lazy: {"low": 0.25, "high": 0.4}}},
            {**box, "id": 2, "limits": {slash: {"low": 0.05, "high": 0.2}}, "coverage": 0.2, "meets_density": False},
        ],
    }


def test_prim_boxes_are_rectangles_over_the_most_restricted_inputs_and_their_statistics():
    fig = F.fig_prim_boxes(_prim_doc())
    first, second = fig.data[0], fig.data[1]
    assert first.name == "box 1" and second.name == "box 2 (also limits slashing.slash_fraction)"
    assert fig.layout.xaxis.title.text == "staking.node_stake" and fig.layout.yaxis.title.text == "population.lazy"
    assert (min(first.x), max(first.x), min(first.y), max(first.y)) == (1.0, 5.0, 0.25, 0.4)
    assert (min(second.x), max(second.x), min(second.y), max(second.y)) == (1.0, 50.0, 0.1, 0.4)  # free: whole range
    bars = {t.name: list(t.y) for t in fig.data if t.type == "bar"}
    assert bars == {"coverage": [0.7, 0.2], "density": [0.9, 0.9], "mass": [0.3, 0.3]}
    assert sorted(s.y0 for s in fig.layout.shapes) == [0.4, 0.8]  # base rate, density target
    assert "40 of 100 cells pay" in fig.layout.title.text


def test_prim_without_a_box_is_an_empty_figure_with_a_note():
    fig = F.fig_prim_boxes({**_prim_doc(), "boxes": []})
    assert not fig.data and fig.layout.annotations[0].text == "PRIM found no box"
