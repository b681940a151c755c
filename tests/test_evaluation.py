"""Evaluation harness: metrics, bank pools, and the `gaia-sim evaluate` command end to end."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from gaia_sim import evaluation as ev
from gaia_sim.answers import gaia_real
from gaia_sim.answers.embed import default_backend
from gaia_sim.detector import DETECTORS
from gaia_sim.errors import UserError


def test_tpr_at_fpr_and_roc():
    honest = np.arange(100.0)  # 99th percentile (method "higher") = 99
    assert ev.tpr_at_fpr(honest, np.array([98.0, 99.0, 100.0, 150.0]), 0.01) == 0.5
    f, t = ev.roc_curve(np.zeros(10), np.ones(10))
    assert ev.auc(f, t) == pytest.approx(1.0)
    f, t = ev.roc_curve(np.arange(50.0), np.arange(50.0))
    assert ev.auc(f, t) == pytest.approx(0.5, abs=0.05)
    # a missing score counts against the detector: an honest NaN as flagged, a cheater's as missed
    assert ev.tpr_at_fpr(np.append(honest[:-1], np.nan), np.array([100.0, 150.0]), 0.01) == 0.0
    f, t = ev.roc_curve(np.array([0.0, np.nan]), np.array([1.0, np.nan]))
    assert ev.auc(f, t) == pytest.approx(0.25)


def _tiny_bank():
    from gaia_sim.answers.bank import Bank

    rng = np.random.default_rng(0)
    configs = ["claimed", "seed1", "cheap"]
    centres = rng.standard_normal((3, 4, 16))
    centres[1] = centres[0]  # honest variant: same model
    rows = [(c, q) for c in range(3) for q in range(4) for _ in range(6)]
    ci, qi = map(np.array, zip(*rows))
    emb = centres[ci, qi] + 0.3 * rng.standard_normal((len(rows), 16))
    return Bank.from_arrays(
        configs,
        ["Q1", "Q2", "Q3", "Q4"],
        ci,
        qi,
        emb,
        roles={"claimed": "claimed", "honest_variants": ["seed1"], "cheaper_model": "cheap"},
    )


def test_bank_pools_and_settings():
    pools, pairings, honest_runs = ev.bank_pools(_tiny_bank())
    assert pairings == [("honest", "cheaper_model")] and honest_runs == (0, 1)
    spec = ev.TrialSpec(
        "honest",
        "cheaper_model",
        nodes=12,
        cheaters=2,
        questions=4,
        samples=3,
        honest_runs=honest_runs,
        cheat_runs=(0,),
    )
    x, labels, qs = ev.make_trial(pools, spec, np.random.default_rng(1))
    assert x.shape == (12, 4, 3, 16) and labels.sum() == 2 and len(qs) == 4
    out = ev.evaluate_setting(pools, spec, {"default": {"detector": "default"}}, 5, np.random.default_rng(2))
    summary = out["default"].summary()
    assert summary["n_honest"] == 50 and summary["n_cheat"] == 10 and summary["tpr_at_fpr"] >= 0.8


@pytest.mark.parametrize("explore", [0.0, 0.5])
def test_learned_questions_are_the_learned_selectors_top_by_mean(explore):
    """``learn_questions`` is :func:`evaluation.learn_selector`'s top k by running mean (same draws),
    and the selector explores at the share asked for (``--exploration``, ``probes.exploration``)."""
    pools, _, honest_runs = ev.bank_pools(_tiny_bank())
    spec = ev.TrialSpec("honest", "cheaper_model", 12, 2, 2, 3, honest_runs, (0,))
    selector = ev.learn_selector(pools, spec, 3, np.random.default_rng(5), explore=explore)
    assert selector.explore == explore and selector.count.sum() == 3 * spec.questions
    top = np.sort(np.lexsort((np.arange(selector.n_questions), -selector.score))[:2])
    assert ev.learn_questions(pools, spec, 2, 3, np.random.default_rng(5), explore=explore).tolist() == top.tolist()


def _args(tmp_path, **kw):
    parser = argparse.ArgumentParser()
    ev.add_arguments(parser)
    argv = [
        "--out",
        str(tmp_path),
        "--trials",
        "3",
        "--budgets",
        "10",
        "--questions",
        "5",
        "--epochs",
        "2",
        "--nodes",
        "12",
        "--cheaters",
        "2",
    ]
    for k, v in kw.items():
        argv += [f"--{k}", str(v)]
    return parser.parse_args(argv)


@pytest.mark.parametrize(
    "bad",
    [
        {"trials": 0},
        {"cheaters": 12},
        {"detectors": "nope"},
        {"budgets": "2"},
        {"histories": 0},
        {"source": "bank", "real-runs": "2025-03-26"},
        {"real-runs": " , "},
        {"exploration": 1.5},
    ],
)
def test_bad_arguments_are_user_errors(tmp_path, bad):
    with pytest.raises(UserError):
        ev.run(_args(tmp_path, **bad))


@pytest.mark.gaia_data
@pytest.mark.skipif(gaia_real.missing_reason() is not None, reason=gaia_real.missing_reason() or "")
def test_evaluate_real_end_to_end(tmp_path, capsys):
    assert ev.run(_args(tmp_path)) == 0
    result = json.loads((tmp_path / "evaluation.json").read_text())
    assert {r["pairing"] for r in result["rows"]} == {f"{c} as {h}" for h, c in ev.REAL_PAIRINGS}
    assert {r["detector"] for r in result["rows"]} == set(DETECTORS)  # decisions beside ROC for every detector
    learned = [r for r in result["rows"] if r["questions_mode"] == "learned"]
    assert all(len(r["questions"]) == result["settings"]["histories"] for r in learned)
    assert result["settings"]["embedding_backend"] == default_backend()  # what embedded the real answers
    trials, cheaters = result["settings"]["trials"], result["settings"]["cheaters"]
    assert all(r["n_cheat"] == trials * cheaters for r in result["rows"])  # split over histories, none lost
    assert (tmp_path / "tpr_vs_answers_real.png").stat().st_size > 1000
    assert len(list(tmp_path.glob("roc_real_*.png"))) == 8
    assert not list(tmp_path.glob(".*tmp*"))
    out = capsys.readouterr().out
    assert "TPR@1%" in out
    assert result["settings"]["holdout"] == ev.HOLDOUT  # learned on earlier answers, judged on the rest
    assert ev.IN_SAMPLE_NOTE not in out
    # the hold-out leaves 3 of run 0's 5 answers to judge on: 2 per node replay them (the simulation's rule)
    assert "note: 2 answers per question" in out and "gemma-2-9b run block 0 (3 answers per question)" in out


@pytest.mark.gaia_data
@pytest.mark.skipif(gaia_real.missing_reason() is not None, reason=gaia_real.missing_reason() or "")
def test_learning_in_sample_is_said_under_the_table(tmp_path, capsys):
    """``--holdout 0`` learns the questions on the answers they are judged on: the output says the
    learned rows are flattered; with all 5 of run 0's answers to judge on, 2 per node are within
    the simulation's sample budget (no thin-block note)."""
    assert ev.run(_args(tmp_path, detectors="default", histories=1, holdout=0, trials=1)) == 0
    out = capsys.readouterr().out
    assert ev.IN_SAMPLE_NOTE in out
    assert "note: 2 answers per question" not in out


@pytest.mark.gaia_data
@pytest.mark.skipif(gaia_real.missing_reason() is not None, reason=gaia_real.missing_reason() or "")
def test_evaluate_on_runs_named_in_another_data_folder(tmp_path, monkeypatch):
    """``--real-runs`` reads any runs of the data folder: the shipped two under other names (links,
    nothing copied) give the same verdicts, number for number, as the default; an absent run is
    one clear error."""
    shipped = gaia_real.data_dir()
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "net-a.jsonl").symlink_to(shipped / gaia_real.RUN_FILES["2025-03-19"])
    (folder / "three_models_net-b.jsonl").symlink_to(shipped / gaia_real.RUN_FILES["2025-03-26"])
    kw = {"detectors": "default", "histories": 2, "holdout": 0.4}
    assert ev.run(_args(tmp_path / "default", **kw)) == 0
    monkeypatch.setenv(gaia_real.ENV_VAR, str(folder))
    assert ev.run(_args(tmp_path / "named", **kw, **{"real-runs": "net-a,net-b"})) == 0
    default, named = (json.loads((tmp_path / d / "evaluation.json").read_text()) for d in ("default", "named"))
    assert named["settings"]["real_runs"] == "net-a,net-b"
    assert named["rows"] == default["rows"] and named["honest_null"] == default["honest_null"]
    with pytest.raises(UserError, match=r"run 'net-c': no such run .*'net-a', 'net-b'"):
        ev.run(_args(tmp_path / "absent", **{"real-runs": "net-a,net-c"}))


def test_split_pools_learn_on_earlier_answers_and_judge_on_the_rest():
    from gaia_sim.evaluation import Pool, split_pools

    blocks = [np.arange(5.0)[:, None], np.arange(25.0)[:, None]]
    pools = {"m": Pool("m", ([b.copy() for b in blocks],))}
    learn, judge = split_pools(pools, 0.4)
    assert [len(b) for b in learn["m"].emb[0]] == [2, 10] and [len(b) for b in judge["m"].emb[0]] == [3, 15]
    for lb, jb, b in zip(learn["m"].emb[0], judge["m"].emb[0], blocks):
        assert np.array_equal(np.concatenate([lb, jb]), b)  # disjoint, in order, nothing lost
    assert split_pools(pools, 0.0) == (pools, pools)


def test_thin_honest_run_blocks_are_named_by_the_simulations_sample_budget_rule():
    """The real runs' run blocks can hold 3 answers per question after the hold-out; drawing more than
    half of a block per node replays it (e053), the rule the simulation refuses scenarios by."""
    from gaia_sim.evaluation import Pool, thin_blocks_note
    from gaia_sim.runner import max_samples_per_question

    assert [max_samples_per_question(n) for n in (1, 3, 8, 15)] == [0, 1, 4, 7]
    emb = tuple([np.zeros((3, 4)), np.zeros((15, 4))] for _ in range(2))
    pools = {"m": Pool("m", emb), "c": Pool("c", tuple([np.zeros((1, 4))] for _ in range(2)))}
    note = thin_blocks_note(pools, ["m", "m"], samples=5)
    assert "m run block 0 (3 answers per question)" in note and "block 1" not in note
    assert "c run" not in note  # cheaters' blocks are not honest populations
    assert thin_blocks_note(pools, ["m"], samples=1) is None
    assert "m run block 1 (15 answers" in thin_blocks_note(pools, ["m"], samples=8)


@pytest.mark.gaia_data
@pytest.mark.skipif(gaia_real.missing_reason() is not None, reason=gaia_real.missing_reason() or "")
def test_evaluate_says_when_the_hold_out_leaves_honest_run_blocks_too_thin(tmp_path, capsys):
    """Item 1's protocol (hold-out 0.4, 5 answers per question) draws from run blocks of 3: say so."""
    assert ev.run(_args(tmp_path, detectors="default", histories=1, holdout=0.4, budgets=25, trials=1)) == 0
    out = capsys.readouterr().out
    assert "note: 5 answers per question are drawn with replacement" in out
    assert "gemma-2-9b run block 0 (3 answers per question)" in out
    assert ev.LEARNED_ROWS_NOTE in out  # the learned rows' judged set is not the simulation's (e060)


def _pools_whose_telling_questions_move(repeats=20, questions=12, dim=8, seed=0):
    """Honest answers around one centre per question; the cheaters' first 40% of answers stand apart
    on questions 0-2 only, their other answers on questions 3-5 only: a selector that learns on the
    first 40% learns questions 0-2, one that learns on the judged answers learns 3-5."""
    from gaia_sim.evaluation import Pool

    rng = np.random.default_rng(seed)
    centre = rng.standard_normal((questions, dim))
    honest = tuple([centre[q] + 0.05 * rng.standard_normal((repeats, dim))] for q in range(questions))
    cheat, learn = [], int(round(0.4 * repeats))
    for q in range(questions):
        block = centre[q] + 0.05 * rng.standard_normal((repeats, dim))
        if q < 3:
            block[:learn] += 1.0
        elif q < 6:
            block[learn:] += 1.0
        cheat.append([block])
    return {"h": Pool("h", honest), "c": Pool("c", tuple(cheat))}


def test_learned_selection_over_epochs_learns_on_the_held_out_answers_only():
    """With a hold-out, the per-epoch and sequential 'learned' lines of ``gaia-sim evaluate`` learn
    from verdicts on the learning answers (``learned_verdict``), never on the answers they are judged
    on: on pools whose telling questions differ between the two parts, the learner then asks
    questions that tell nothing in the judged part, where learning on the judged answers finds the
    ones that do (in-sample optimism, e064)."""
    from gaia_sim.evaluation import TrialSpec, selection_gain, sequential_run, split_pools

    pools = _pools_whose_telling_questions_move()
    learn, judge = split_pools(pools, 0.4)
    spec = TrialSpec("h", "c", nodes=20, cheaters=3, questions=3, samples=4, honest_runs=(0,), cheat_runs=(0,))
    late = {}
    for name, learn_pools in (("held_out", learn), ("in_sample", judge)):
        gain = selection_gain(judge, spec, 12, 4, np.random.default_rng(1), explore=0.0, learn_pools=learn_pools)
        late[name] = float(gain["learned"][-4:].mean())
    assert late["held_out"] <= 0.3 and late["in_sample"] >= 0.9, late
    caught = {
        name: sequential_run(judge, spec, 12, 4, np.random.default_rng(2), learn=True, learn_pools=learn_pools)
        for name, learn_pools in (("held_out", learn), ("in_sample", judge))
    }
    assert caught["held_out"]["cheaters_flagged_by_epoch"][-1] < caught["in_sample"]["cheaters_flagged_by_epoch"][-1]
