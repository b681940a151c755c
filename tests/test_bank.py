"""Answer bank: in-memory construction, write/load/verify round trip, draws, corruption, resume."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gaia_sim.answers import build as build_mod
from gaia_sim.answers.bank import Bank
from gaia_sim.answers.build import BuildPlan, build
from gaia_sim.answers.knowledge import Question
from gaia_sim.answers.models import ModelConfig
from gaia_sim.answers.store import read_answers
from gaia_sim.answers.verify import verify_bank
from gaia_sim.errors import UserError


def _toy_bank(rng=np.random.default_rng(0)) -> Bank:
    configs, questions, rows = ["a", "b"], ["q1", "q2", "q3"], []
    for c in range(2):
        for q in range(3):
            rows += [(c, q)] * 5
    ci, qi = np.array(rows).T
    emb = rng.normal(size=(len(rows), 8)) + 3 * ci[:, None]
    texts = [f"answer {i}" for i in range(len(rows))]
    return Bank.from_arrays(
        configs,
        questions,
        ci,
        qi,
        emb,
        texts,
        np.arange(len(rows)),
        np.full(len(rows), 0.5),
        roles={"claimed": "a", "honest_variants": ["b"]},
    )


def test_from_arrays_normalises_and_indexes():
    bank = _toy_bank()
    np.testing.assert_allclose(np.linalg.norm(bank.embedding_matrix(), axis=1), 1, atol=1e-6)
    assert bank.dim == 8 and bank.config_ids == ("a", "b") and bank.question_ids == ("q1", "q2", "q3")
    rows = bank.pool("b", "q2")
    assert len(rows) == 5 and np.all(bank.config_index[rows] == 1) and np.all(bank.question_index[rows] == 1)
    assert bank.role_config("claimed") == "a" and bank.role_config("honest_variants") == "b"
    assert bank.cost("a").seconds_per_answer == pytest.approx(0.5)


def test_draws_distinct_until_pool_exhausted():
    bank, rng = _toy_bank(), np.random.default_rng(1)
    idx = bank.draw_indices("a", "q3", 5, rng)
    assert sorted(idx) == sorted(bank.pool("a", "q3"))
    assert len(bank.draw_indices("a", "q3", 12, rng)) == 12
    d = bank.draw("b", "q1", 3, rng)
    assert len(d.texts) == 3 and d.embeddings.shape == (3, 8) and d.tokens.shape == (3,)
    with pytest.raises(UserError, match="unknown configuration"):
        bank.draw("zzz", "q1", 1, rng)


def test_from_arrays_rejects_bad_input():
    with pytest.raises(UserError):
        Bank.from_arrays(["a"], ["q"], [0, 1], [0, 0], np.ones((2, 4)))
    with pytest.raises(UserError, match="role"):
        Bank.from_arrays(["a"], ["q"], [0], [0], np.ones((1, 4)), roles={"claimed": "x"})


def test_save_load_round_trip(tmp_path):
    bank = _toy_bank()
    bank.save(tmp_path / "b")
    back = Bank.load(tmp_path / "b")
    assert back.configs == bank.configs and back.questions == bank.questions and back.roles == bank.roles
    for c in bank.configs:
        for q in bank.questions:
            a, b = bank.pool(c, q), back.pool(c, q)
            assert [bank.texts[i] for i in a] == [back.texts[i] for i in b]
            np.testing.assert_allclose(bank.embeddings[a], back.embeddings[b], atol=2e-3)  # float16 storage


def test_corrupted_file_detected(tmp_path):
    root = _toy_bank().save(tmp_path / "b")
    f = next((root / "answers").glob("*.npz"))
    data = bytearray(f.read_bytes())
    data[len(data) // 2] ^= 0xFF
    f.write_bytes(bytes(data))
    with pytest.raises(UserError, match="sha256"):
        Bank.load(root)
    f.write_bytes(bytes(data[: len(data) // 2]))  # truncated: caught even without checksums
    with pytest.raises(UserError, match="unreadable|inconsistent|not a bank"):
        Bank.load(root, check_hashes=False)


def test_missing_and_mismatched_files_detected(tmp_path):
    root = _toy_bank().save(tmp_path / "b")
    manifest = json.loads((root / "manifest.json").read_text())
    ha, hb = manifest["configs"]["a"]["hash"], manifest["configs"]["b"]["hash"]
    # swap the two files and their checksums: each is intact but belongs to the other configuration
    fa, fb = root / "answers" / f"{ha}.npz", root / "answers" / f"{hb}.npz"
    da, db = fa.read_bytes(), fb.read_bytes()
    fa.write_bytes(db), fb.write_bytes(da)
    manifest["files"][ha], manifest["files"][hb] = manifest["files"][hb], manifest["files"][ha]
    (root / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(UserError, match="belongs to configuration"):
        Bank.load(root)
    fa.unlink()
    with pytest.raises(UserError, match="missing"):
        Bank.load(root)
    (root / "manifest.json").write_text("{not json")
    with pytest.raises(UserError, match="manifest"):
        Bank.load(root)
    with pytest.raises(UserError, match="no answer bank"):
        Bank.load(tmp_path / "nowhere")


class _FakeModel:
    """Stands in for the language model so build/resume logic is tested without generation."""

    calls: list[list[str]] = []
    fail_after: int | None = None


def _fake_rows(plan, cfg, model, chunk, per_prompt):
    _FakeModel.calls.append((cfg.id, [q.id for q in chunk]))
    if _FakeModel.fail_after is not None and len(_FakeModel.calls) > _FakeModel.fail_after:
        raise KeyboardInterrupt
    texts = [f"{cfg.id} says {q.text} #{k}" for q in chunk for k in range(per_prompt)]
    return texts, [len(t) for t in texts], [0.01] * len(texts)


@pytest.fixture
def fake_generation(monkeypatch):
    monkeypatch.setattr(build_mod, "load_engine", lambda cfg, log: object())
    monkeypatch.setattr(build_mod, "_generate_rows", _fake_rows)
    _FakeModel.calls, _FakeModel.fail_after = [], None
    return _FakeModel


def _plan(root: Path) -> BuildPlan:
    qs = tuple(Question(f"q{i}", f"question {i}?") for i in range(5))
    configs = [
        ModelConfig("x", kb="", template="plain", batch_size=4),
        ModelConfig("y", kb="", template="plain", batch_size=4, seed=1),
        ModelConfig("z", kb="", template="plain", lazy="refusal"),
    ]
    return BuildPlan(root, configs, {"claimed": "x", "honest_variants": ["y"], "lazy_refusal": "z"}, qs, 2, 7)


def test_build_resumes_without_redoing_work(tmp_path, fake_generation):
    plan = _plan(tmp_path / "bank")
    fake_generation.fail_after = 4  # x has 3 chunks (2 questions each, 2 samples); fail in y's second chunk
    with pytest.raises(KeyboardInterrupt):
        build(plan, progress=False, log=lambda s: None)
    done_before = list(fake_generation.calls[:4])
    fake_generation.calls, fake_generation.fail_after = [], None
    build(plan, progress=False, log=lambda s: None)
    redone = [c for c in fake_generation.calls if c in done_before]
    assert redone == [], f"finished chunks were generated again: {redone}"
    assert sum(len(c[1]) for c in fake_generation.calls) == 3  # only y's last 3 questions were left
    report = verify_bank(plan.root)
    assert report == {"configs": 3, "questions": 5, "rows": 30}
    bank = Bank.load(plan.root)
    assert bank.answers("z", "q0") == [build_mod.REFUSAL_TEXT] * 2
    assert bank.answers("y", "q4") == ["y says question 4? #0", "y says question 4? #1"]
    assert not (plan.root / "partial").exists()


def test_rerun_of_finished_build_generates_nothing(tmp_path, fake_generation):
    plan = _plan(tmp_path / "bank")
    build(plan, progress=False, log=lambda s: None)
    first = (plan.root / "manifest.json").read_text()
    fake_generation.calls = []
    build(plan, progress=False, log=lambda s: None)
    assert fake_generation.calls == []
    assert json.loads(first)["files"] == json.loads((plan.root / "manifest.json").read_text())["files"]


def test_build_refuses_other_samples_in_same_folder(tmp_path, fake_generation):
    plan = _plan(tmp_path / "bank")
    build(plan, progress=False, log=lambda s: None)
    with pytest.raises(UserError, match="samples"):
        build(BuildPlan(plan.root, plan.configs, plan.roles, plan.questions, 3, 7), progress=False)


def test_verify_detects_changed_spec(tmp_path, fake_generation):
    plan = _plan(tmp_path / "bank")
    build(plan, progress=False, log=lambda s: None)
    manifest = json.loads((plan.root / "manifest.json").read_text())
    manifest["configs"]["x"]["spec"]["temperature"] = 0.1
    (plan.root / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(UserError, match="hash"):
        verify_bank(plan.root)


def test_cli_build_verify_info(tmp_path, capsys):
    from gaia_sim.cli import main

    out = tmp_path / "cli-bank"
    refusal = "gemma3-270m/vellmar/refusal"  # needs no language model
    assert (
        main(
            [
                "bank",
                "build",
                "--out",
                str(out),
                "--configs",
                refusal,
                "--questions",
                "gen-sky,vel-dish",
                "--samples",
                "2",
                "--no-progress",
            ]
        )
        == 0
    )
    assert main(["bank", "verify", str(out)]) == 0
    assert "OK" in capsys.readouterr().out
    assert main(["bank", "info", str(out)]) == 0
    assert "lazy_refusal" in capsys.readouterr().out
    assert main(["bank", "build", "--out", str(out), "--configs", "nope"]) == 2
    assert "unknown configs" in capsys.readouterr().err
    next((out / "answers").glob("*.npz")).write_bytes(b"garbage")
    assert main(["bank", "verify", str(out)]) == 2
    assert "sha256" in capsys.readouterr().err


def test_cost_prefers_calibration_and_survives_save(tmp_path):
    bank = _toy_bank()
    assert bank.cost("claimed").seconds_per_answer == pytest.approx(0.5)  # a role name resolves to its config
    bank.meta["calibrated_cost"] = {"seconds_per_answer": {"a": 2.0}}
    assert bank.cost("a").seconds_per_answer == 2.0 and bank.cost("b").seconds_per_answer == pytest.approx(0.5)
    back = Bank.load(bank.save(tmp_path / "c"))
    assert back.cost("a").seconds_per_answer == 2.0


def test_rebuild_keeps_calibration_of_unchanged_configs(tmp_path, fake_generation):
    plan = _plan(tmp_path / "bank")
    build(plan, progress=False, log=lambda s: None)
    path = plan.root / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["calibrated_cost"] = {"seconds_per_answer": {"x": 1.5, "y": 2.5}, "rounds": 1}
    path.write_text(json.dumps(manifest))
    changed = [plan.configs[0], ModelConfig("y", kb="", template="plain", batch_size=4, seed=9), plan.configs[2]]
    build(BuildPlan(plan.root, changed, plan.roles, plan.questions, 2, 7), progress=False, log=lambda s: None)
    kept = json.loads(path.read_text())["calibrated_cost"]["seconds_per_answer"]
    assert kept == {"x": 1.5}  # y now runs another computation: its old cost no longer applies


@pytest.mark.slow
def test_stored_float16_embeddings_change_no_verdict(scenarios_dir):
    """The bank stores embeddings in float16; re-embedding its texts in float32 gives the same verdicts
    in a simulation with cheaters (every probe, verdict and slash event identical)."""
    from dataclasses import replace

    from gaia_sim.answers.bank import load_default_bank
    from gaia_sim.answers.embed import embed
    from gaia_sim.runner import simulate
    from gaia_sim.scenario import load_scenario

    full = load_default_bank()
    keep = full.question_index < 6  # six questions keep the re-embedding short (the verdicts need no more)
    stored = replace(
        full,
        questions=full.questions[:6],
        embeddings=full.embeddings[keep],
        config_index=full.config_index[keep],
        question_index=full.question_index[keep],
        texts=[t for t, k in zip(full.texts, keep) if k],
        tokens=full.tokens[keep],
        latency_s=full.latency_s[keep],
    )
    unique = sorted(set(stored.texts))
    vectors = dict(zip(unique, embed(unique).astype(np.float32)))
    exact = replace(stored, embeddings=np.stack([vectors[t] for t in stored.texts]))
    assert np.abs(exact.embeddings - stored.embeddings).max() < 2e-3  # float16 rounding, same texts
    s = load_scenario(scenarios_dir / "model_swap.toml").with_overrides({"epochs": 10, "strategy.dynamics": "none"})
    a, b = simulate(s, answers=stored).events, simulate(s, answers=exact).events
    verdicts = lambda ev: ev[ev["kind"].isin(["verdict", "slash"])][["epoch", "kind", "node", "flagged", "amount"]]  # noqa: E731
    assert verdicts(a).reset_index(drop=True).equals(verdicts(b).reset_index(drop=True))
    assert a[a["kind"] == "verdict"]["flagged"].sum() > 0  # the comparison includes guilty verdicts


def test_calibrating_only_new_configs_prices_them_against_the_claimed_stored_cost(
    tmp_path, fake_generation, monkeypatch
):
    """``bank calibrate --only``: the named configurations are timed beside the claimed one and scaled
    to its stored cost; every other stored cost stays (results priced with them do not move)."""
    from gaia_sim.answers import calibrate as cal

    plan = _plan(tmp_path / "bank")
    plan = BuildPlan(
        plan.root,
        [*plan.configs, ModelConfig("w", kb="", template="plain", batch_size=4, top_k=8)],
        plan.roles,
        plan.questions,
        2,
        7,
    )
    build(plan, progress=False, log=lambda s: None)
    path = plan.root / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["calibrated_cost"] = {"seconds_per_answer": {"x": 1.0, "y": 1.0, "z": 0.0}, "rounds": 1}
    path.write_text(json.dumps(manifest))
    timing = {"x": (0.0, 0.2), "w": (0.0, 0.6)}  # w's decode step is 3x the claimed one's
    monkeypatch.setattr(cal, "_time_round", lambda model, tok, cfg, *a: timing[cfg.id])
    monkeypatch.setattr(build_mod, "load_engine", lambda cfg, log: (None, None))
    cost = cal.calibrate(plan.root, rounds=1, log=lambda s: None, only=["w"])
    tokens = Bank.load(plan.root)
    ratio = tokens.cost("w").tokens_per_answer / tokens.cost("x").tokens_per_answer
    assert cost["x"] == 1.0 and cost["y"] == 1.0 and cost["z"] == 0.0
    assert cost["w"] == pytest.approx(3.0 * ratio)
    assert json.loads(path.read_text())["calibrated_cost"]["seconds_per_answer"] == cost
    with pytest.raises(UserError, match="unknown configurations \\['nope'\\]"):
        cal.calibrate(plan.root, rounds=1, log=lambda s: None, only=["w", "nope"])
    manifest["calibrated_cost"] = {}
    path.write_text(json.dumps(manifest))
    with pytest.raises(UserError, match="no stored cost"):
        cal.calibrate(plan.root, rounds=1, log=lambda s: None, only=["w"])


def test_shards_built_apart_merge_into_the_one_machine_bank(tmp_path, fake_generation):
    """Two machines each build one shard; a third merges their chunks and generates nothing: its bank
    holds the answers of the one built in one go."""
    whole = build(_plan(tmp_path / "whole"), progress=False, log=lambda s: None)
    generated = []
    for i in (0, 1):
        fake_generation.calls = []
        build(_plan(tmp_path / f"shard{i}"), progress=False, log=lambda s: None, shard=(i, 2))
        generated.append([q for _, qs in fake_generation.calls for q in qs])
        assert not (tmp_path / f"shard{i}" / "answers").exists() or not any(
            (tmp_path / f"shard{i}" / "answers").iterdir()
        )
    assert all(generated) and sorted(generated[0] + generated[1]) == sorted(2 * [f"q{i}" for i in range(5)])
    plan = _plan(tmp_path / "merged")
    assert build_mod.merge_chunks(plan, [tmp_path / "shard0", tmp_path / "shard1"], log=lambda s: None) > 0
    fake_generation.calls = []
    merged = build(plan, progress=False, log=lambda s: None)
    assert fake_generation.calls == []
    assert merged["files"].keys() == whole["files"].keys()
    for h in whole["files"]:  # the same answers (latencies are timed, so files of timed configs differ)
        a, b = (read_answers(tmp_path / d / "answers" / f"{h}.npz")[0] for d in ("whole", "merged"))
        assert a.texts == b.texts and (a.question == b.question).all() and (a.embeddings == b.embeddings).all()


def test_merge_refuses_a_damaged_chunk_and_cli_refuses_a_bad_shard(tmp_path, fake_generation, capsys):
    from gaia_sim.cli import main as cli_main

    build(_plan(tmp_path / "a"), progress=False, log=lambda s: None, shard=(0, 2))
    chunk = sorted((tmp_path / "a" / "partial").glob("*/*.npz"))[0]
    chunk.write_bytes(chunk.read_bytes()[:100])
    with pytest.raises(UserError, match=str(chunk.name)):
        build_mod.merge_chunks(_plan(tmp_path / "b"), [tmp_path / "a"], log=lambda s: None)
    assert not list((tmp_path / "b").glob("partial/*/*.npz*"))
    import dataclasses

    build(dataclasses.replace(_plan(tmp_path / "one"), samples=1), progress=False, log=lambda s: None, shard=(0, 1))
    with pytest.raises(UserError, match="expected hash .* and 2 answers per question"):
        build_mod.merge_chunks(_plan(tmp_path / "b"), [tmp_path / "one"], log=lambda s: None)
    assert cli_main(["bank", "build", "--out", str(tmp_path / "c"), "--shard", "2/2"]) == 2
    assert "--shard '2/2': expected I/N with 0 <= I < N" in capsys.readouterr().err
