"""Real Gaia answers: loader, paper statistics reproduced to 4 decimals, AnswerSource over them."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gaia_sim.answers import gaia_real
from gaia_sim.detector import paper
from gaia_sim.errors import UserError

REASON = gaia_real.missing_reason()
needs_data = pytest.mark.skipif(REASON is not None, reason=REASON or "")
pytestmark = pytest.mark.gaia_data


@needs_data
def test_run_grid_shapes():
    r19, r26 = gaia_real.load_run("2025-03-19"), gaia_real.load_run("2025-03-26")
    assert r19.texts.shape == (3, 20, 5) and r26.texts.shape == (3, 20, 25)
    assert r19.nodes == ("llama-3-1-8b", "gemma-2-9b", "gemma-2-27b")
    assert r19.question_ids[0] == "Q1" and r19.question_ids[-1] == "Q20"
    assert "Apollo 11" in r19.questions[0]


@needs_data
def test_paper_figures_2025_03_19_reproduced_to_4_decimals():
    """README figures of the paper's analysis (nomic embeddings shipped with the data)."""
    run = gaia_real.load_run("2025-03-19")
    x = gaia_real.nomic_embeddings(run)
    idx = {n: i for i, n in enumerate(run.nodes)}
    dist = paper.pair_distances(x)

    def pair(a, b):
        i, j = sorted((idx[a], idx[b]))
        return round(dist[(i, j)], 4)

    assert pair("gemma-2-9b", "gemma-2-27b") == 0.1290
    assert pair("llama-3-1-8b", "gemma-2-27b") == 0.3008
    assert pair("llama-3-1-8b", "gemma-2-9b") == 0.3057
    mean_std = paper.mean_std(x).mean(1)
    rms = paper.rms_scatter(x).mean(1)
    expected = {"gemma-2-27b": (0.0032, 0.0037), "gemma-2-9b": (0.0045, 0.0052), "llama-3-1-8b": (0.0054, 0.0059)}
    for node, (ms, rs) in expected.items():
        assert round(float(mean_std[idx[node]]), 4) == ms
        assert round(float(rms[idx[node]]), 4) == rs


def test_missing_data_gives_clear_reason(tmp_path, monkeypatch):
    monkeypatch.setenv(gaia_real.ENV_VAR, str(tmp_path))
    assert "GAIA_DATA_DIR" in gaia_real.missing_reason()
    with pytest.raises(UserError, match="not found"):
        gaia_real.load_run("2025-03-19")


def test_bad_line_names_file_and_key(tmp_path):
    for name in (*gaia_real.RUN_FILES.values(), gaia_real.NOMIC_FILE):
        (tmp_path / name).write_text("")
    row = {"run": "x", "node": "gpt-9", "question_id": "Q1", "question": "q", "repeat": 1, "response": "a"}
    (tmp_path / gaia_real.RUN_FILES["2025-03-19"]).write_text(json.dumps(row) + "\n")
    with pytest.raises(UserError, match="line 1: key 'node'"):
        gaia_real.load_run("2025-03-19", root=tmp_path)


def _grid(run: str, nodes=("gemma-2-9b", "gemma-2-27b"), questions=2, repeats=2) -> str:
    rows = [
        {"run": run, "node": n, "question_id": f"Q{q}", "question": f"q{q}", "repeat": r, "response": f"{n} {q} {r}"}
        for n in nodes
        for q in range(1, questions + 1)
        for r in range(1, repeats + 1)
    ]
    return "".join(json.dumps(row) + "\n" for row in rows)


def test_every_jsonl_file_of_the_data_folder_is_a_run(tmp_path):
    """Other runs than the shipped two (e.g. a network's own) load by name; an unknown name lists
    the runs there; runs that ask different questions are refused before anything is embedded."""
    (tmp_path / "three_models_2025-04-02.jsonl").write_text(_grid("2025-04-02"))
    (tmp_path / "mynet.jsonl").write_text(_grid("mynet", questions=3))
    (tmp_path / "notes.txt").write_text("not a run")
    assert gaia_real.run_files(tmp_path) == {"2025-04-02": "three_models_2025-04-02.jsonl", "mynet": "mynet.jsonl"}
    run = gaia_real.load_run("mynet", root=tmp_path)
    assert run.texts.shape == (2, 3, 2) and run.nodes == ("gemma-2-9b", "gemma-2-27b")
    with pytest.raises(UserError, match=r"no such run .*'2025-04-02', 'mynet'"):
        gaia_real.load_run("2025-04-09", root=tmp_path)
    with pytest.raises(UserError, match="disagree on nodes"):
        gaia_real.load_real(root=tmp_path, runs=("2025-04-02", "mynet"))
    with pytest.raises(UserError, match="distinct runs"):
        gaia_real.load_real(root=tmp_path, runs=("mynet", "mynet"))


@needs_data
def test_minilm_cache_is_keyed_and_reused(tmp_path):
    run = gaia_real.load_run("2025-03-19")
    calls = []

    def fake_embed(texts):
        calls.append(len(texts))
        return np.ones((len(texts), 384), dtype=np.float32)

    a = gaia_real.minilm_embeddings(run, cache_dir=tmp_path, embedder=fake_embed)
    b = gaia_real.minilm_embeddings(run, cache_dir=tmp_path, embedder=fake_embed)
    assert a.shape == (3, 20, 5, 384) and np.array_equal(a, b) and calls == [300]
    assert not list(tmp_path.glob(".*tmp"))

    def other_embed(texts):  # another backend: its own cache file, never the first one's
        calls.append(-len(texts))
        return np.zeros((len(texts), 384), dtype=np.float32)

    c = gaia_real.minilm_embeddings(run, cache_dir=tmp_path, embedder=other_embed)
    assert calls == [300, -300] and not c.any() and len(list(tmp_path.glob("minilm384-*.npy"))) == 2


@needs_data
def test_minilm_cache_names_the_embedding_backend(tmp_path, monkeypatch):
    """Without an embedder the cache file names the backend ``$GAIA_SIM_EMBED`` selects."""
    from gaia_sim.answers import embed as embed_mod

    run = gaia_real.load_run("2025-03-19")
    seen = []
    monkeypatch.setattr(embed_mod, "embed", lambda texts, backend: seen.append(backend) or np.ones((len(texts), 384)))
    monkeypatch.setenv("GAIA_SIM_EMBED", "reference")
    gaia_real.minilm_embeddings(run, cache_dir=tmp_path)
    assert seen == ["reference"] and [p.name.split("-")[1] for p in tmp_path.glob("*.npy")] == ["reference"]


@needs_data
def test_source_draws_real_answers():
    data = gaia_real.load_real()
    src = gaia_real.GaiaRealSource(data, claimed="gemma-2-27b")
    assert src.role_config("cheaper_model").startswith("gemma-2-9b")
    rng = np.random.default_rng(0)
    d = src.draw("gemma-2-27b@2025-03-26", "Q3", 4, rng)
    assert d.embeddings.shape == (4, 384) and len(d.texts) == 4
    assert np.allclose(np.linalg.norm(d.embeddings, axis=1), 1.0, atol=1e-4)
    idx = src.draw_indices("gemma-2-27b", "Q3", 100, rng)
    assert set(idx) <= set(src.rows("gemma-2-27b", "Q3")) and len(src.rows("gemma-2-27b", "Q3")) == 30
    assert src.cost("gemma-2-27b@2025-03-26").seconds_per_answer > src.cost("gemma-2-9b@2025-03-26").seconds_per_answer


@needs_data
def test_real_answers_convert_to_the_bank_format(tmp_path):
    from gaia_sim.answers.bank import Bank

    bank = gaia_real.to_bank(gaia_real.load_real(), claimed="gemma-2-9b")
    assert len(bank.configs) == 6 and len(bank.questions) == 20
    assert len(bank.rows_of("gemma-2-9b@2025-03-26", "Q1")) == 25
    assert bank.role_config("claimed") == "gemma-2-9b@2025-03-26"
    assert bank.role_config("cheaper_model").startswith("gemma-2-27b")  # the other Gemma
    assert bank.cost("claimed").seconds_per_answer > 0
    d = bank.draw("gemma-2-9b@2025-03-19", "Q2", 3, np.random.default_rng(0))
    assert d.embeddings.shape == (3, 384) and all(d.texts)
    loaded = Bank.load(bank.save(tmp_path / "real"))
    assert sorted(loaded.configs) == sorted(bank.configs)
    c, q = "llama-3-1-8b@2025-03-19", "Q7"
    assert np.allclose(
        np.sort(loaded.embeddings[loaded.rows_of(c, q)], axis=0),
        np.sort(bank.embeddings[bank.rows_of(c, q)], axis=0),
        atol=1e-3,
    )  # stored as float16


@needs_data
def test_honest_nodes_of_both_runs_stay_below_alpha_on_questions_with_a_rare_second_answer():
    """e023's regression, on a question set e012's validators learned: every model answers questions
    11 and 13 identically, and Gemma-2-27B answered 2, 4 and 5 identically in every answer of the
    2025-03-19 run but gave a rare second answer in the 2025-03-26 run. With mid-p dispersion
    p-values nodes tied everywhere piled up at one normal score, and the empirical null flagged 184
    of these 1,080 honest node-verdicts; randomised p-values flag none. Same draws as e012 (learn on
    40% of the repeats, judge on the rest)."""
    from gaia_sim import evaluation as ev
    from gaia_sim.detector import assess

    _, judge = ev.split_pools(ev.real_pools(gaia_real.load_real()), 0.4)
    rng = np.random.default_rng(1)
    spec = ev.TrialSpec("gemma-2-27b", "llama-3-1-8b", 30, 3, 5, 5)
    flags, caught = np.zeros(2, int), 0
    for t in range(40):
        x, labels, _ = ev.make_trial(judge, spec, rng, questions=np.array([2, 4, 5, 11, 13]))
        a = assess(x, alpha=0.01, seed=t)
        flags += a.flagged[~labels].sum(), (~labels).sum()
        caught += int(a.flagged[labels].sum())
    assert flags[0] / flags[1] <= 0.01, flags
    assert caught >= 0.9 * 40 * 3  # Llama is still caught on these questions
