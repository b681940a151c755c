"""Knowledge bases, retrieval, question set and model configurations (no language model needed)."""

from dataclasses import replace

import pytest

from gaia_sim.answers.knowledge import kb_names, load_kb, load_questions, retrieve, split_passages
from gaia_sim.answers.models import ModelConfig
from gaia_sim.answers.zoo import DEFAULT_ROOT_SEED, ROLES, default_zoo
from gaia_sim.errors import UserError


def test_three_kbs_of_substance():
    names = kb_names()
    assert {"vellmar", "kessrin", "brightwater"} <= set(names)
    for n in names:
        kb = load_kb(n)
        assert sum(len(p.split()) for p in kb.passages) > 1000, n
        assert len(kb.passages) >= 15


def test_split_passages_prefixes_sections():
    md = "# Title\n\nIntro text.\n\n## History\n\nFounded long ago.\n\nThen grew."
    assert split_passages(md) == ("Intro text.", "History: Founded long ago.", "History: Then grew.")


@pytest.mark.parametrize(
    "kb,question,needle",
    [
        ("vellmar", "Who designed the Long Arm breakwater of Vellmar?", "Maren Holt"),
        ("kessrin", "Where does the Kessrin Seed Cooperative store its seeds?", "Hollow Vault"),
        ("brightwater", "What happened at Gletschboden station in 1954?", "avalanche"),
    ],
)
def test_retrieval_finds_the_answer(kb, question, needle):
    assert any(needle in p for p in retrieve(kb, question, 2))


def test_question_set_mixes_general_and_kb_questions():
    qs = load_questions()
    kbs = {q.kb for q in qs}
    assert "" in kbs and {"vellmar", "kessrin", "brightwater"} <= kbs
    assert len({q.id for q in qs}) == len(qs)


@pytest.mark.parametrize(
    "text,match",
    [
        ("[[question]]\nid='a'\n", "id, text"),
        ("[[question]]\nid='a'\ntext='x'\n[[question]]\nid='a'\ntext='y'\n", "unique"),
        ("question = 3", "non-empty array"),
        ("[[question", "cannot read"),
        ("[[question]]\nid='a'\ntext='x'\ncolour='red'\n", "allowed"),
    ],
)
def test_bad_question_files(tmp_path, text, match):
    p = tmp_path / "q.toml"
    p.write_text(text)
    with pytest.raises(UserError, match=match):
        load_questions(p)


def test_unknown_kb_is_a_user_error():
    with pytest.raises(UserError, match="allowed"):
        load_kb("atlantis")


def test_config_validation():
    with pytest.raises(UserError, match="dtype"):
        ModelConfig("x", dtype="float8")
    with pytest.raises(UserError, match="lazy"):
        ModelConfig("x", lazy="nap")


def test_content_hash_tracks_generative_content_only():
    c = ModelConfig("a")
    assert c.content_hash(1) == replace(c, id="renamed", description="d").content_hash(1)
    others = [
        replace(c, seed=1),
        replace(c, dtype="bfloat16"),
        replace(c, kb="kessrin"),
        replace(c, batch_size=3),
        replace(c, weight_bits=4),
        replace(c, drop_layers=(3,)),
        replace(c, lazy="replay"),
    ]
    hashes = {c.content_hash(1), c.content_hash(2)} | {o.content_hash(1) for o in others}
    assert len(hashes) == 2 + len(others)


def test_default_zoo_fills_every_role():
    configs, roles = default_zoo()
    ids = {c.id for c in configs}
    assert set(roles) == set(ROLES)
    for role, value in roles.items():
        assert all(v in ids for v in (value if isinstance(value, list) else [value])), role
    assert len(roles["honest_variants"]) == 3
    assert len({c.content_hash(DEFAULT_ROOT_SEED) for c in configs}) == len(configs)
