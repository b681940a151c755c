"""Knowledge bases, retrieval, question set and model configurations (no language model needed)."""

from dataclasses import replace

import pytest

from gaia_sim.answers.knowledge import (
    POOLS,
    Question,
    kb_names,
    load_kb,
    load_questions,
    question_pools,
    questions_digest,
    retrieve,
    split_passages,
)
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


PREFIX = {"": "gen-", "vellmar": "vel-", "kessrin": "kes-", "brightwater": "bri-"}


def test_question_set_sizes_labels_and_split():
    qs = load_questions()
    by = {(kb, pool): [q for q in qs if q.kb == kb and q.pool == pool] for kb in PREFIX for pool in POOLS}
    for kb in ("", "vellmar"):  # the default domain: >= 30 general and >= 30 claimed-KB questions, half secret
        pub, sec = len(by[kb, "public"]), len(by[kb, "secret"])
        assert pub + sec >= 30 and min(pub, sec) >= 15 and abs(pub - sec) <= 1, (kb, pub, sec)
    for q in qs:
        assert q.id.startswith(PREFIX[q.kb]) and q.answer, q.id
    assert {q.id for q in load_questions(pool="secret")} == {q.id for q in qs if q.pool == "secret"}
    assert len(load_questions(pool="public")) + len(load_questions(pool="secret")) == len(qs)


KB_QUESTIONS = [q for q in load_questions() if q.kb]


@pytest.mark.parametrize("q", KB_QUESTIONS, ids=[q.id for q in KB_QUESTIONS])
def test_retrieval_finds_the_answer_of_every_kb_question(q):
    """The reference answer is in the KB, and default retrieval (2 passages) puts a passage holding it
    into the prompt (a question whose answer retrieval misses cannot separate KB from no KB)."""
    assert any(q.answer in p for p in load_kb(q.kb).passages), "answer not in the KB text"
    assert any(q.answer in p for p in retrieve(q.kb, q.text, 2)), [p[:60] for p in retrieve(q.kb, q.text, 2)]


def test_shipped_bank_questions_unchanged():
    """The shipped bank was built on the default question selection; its manifest digest must still
    match the question file (editing a bank question's id or text would silently orphan its answers)."""
    import json

    from gaia_sim.answers.bank import DEFAULT_BANK_DIR
    from gaia_sim.answers.zoo import default_questions

    manifest = json.loads((DEFAULT_BANK_DIR / "manifest.json").read_text())
    file_qs = {q.id: q for q in load_questions()}
    bank_ids = [q["id"] for q in manifest["questions"]]
    assert bank_ids == [q.id for q in default_questions(load_questions())]
    assert questions_digest([file_qs[i] for i in bank_ids]) == manifest["questions_digest"]
    pools = question_pools(bank_ids)
    assert set(pools.values()) == set(POOLS)


def test_digest_tracks_ids_and_texts_only():
    q = Question("a", "What?", "", "public", "x")
    assert questions_digest([q]) == questions_digest([Question("a", "What?", "vellmar", "secret", "y")])
    assert questions_digest([q]) != questions_digest([Question("a", "What now?")])
    assert questions_digest([q]) != questions_digest([Question("b", "What?")])


GOOD = "[[question]]\nid='a'\nkb=''\npool='public'\ntext='x'\n"


@pytest.mark.parametrize(
    "text,match",
    [
        ("[[question]]\nid='a'\nkb=''\npool='public'\n", r"question\[0\] \(id 'a'\): missing keys \['text'\]"),
        ("[[question]]\nid='a'\ntext='x'\n", "missing keys.*allowed: id, text, kb, pool"),
        (GOOD + GOOD.replace("'x'", "'y'"), "unique; duplicated: \\['a'\\]"),
        ("question = 3", "non-empty array"),
        ("[[question", "cannot read"),
        (GOOD + "colour='red'\n", r"\(id 'a'\): unknown keys \['colour'\]; allowed"),
        (GOOD.replace("kb=''", "kb='atlantis'"), r"\(id 'a'\): unknown kb 'atlantis'; allowed: .*vellmar"),
        (GOOD.replace("'public'", "'private'"), r"\(id 'a'\): unknown pool 'private'; allowed: public, secret"),
        (GOOD.replace("text='x'", "text=''"), "non-empty"),
        (GOOD.replace("text='x'", "text=3"), "strings"),
        (GOOD + "[extra]\n", "unknown top-level keys"),
    ],
)
def test_bad_question_files(tmp_path, text, match):
    p = tmp_path / "q.toml"
    p.write_text(text)
    with pytest.raises(UserError, match=match) as err:
        load_questions(p)
    assert str(p) in str(err.value) and err.value.exit_code == 2


def test_unknown_pool_and_unknown_ids(tmp_path):
    with pytest.raises(UserError, match="q.toml: unknown question pool 'hidden'; allowed: public, secret"):
        load_questions(tmp_path / "q.toml", pool="hidden")
    with pytest.raises(UserError, match=r"questions.toml: no question with id\(s\) \['nope'\]"):
        question_pools(["gen-sky", "nope"])
    assert question_pools(["gen-sky", "gen-photosynthesis"]) == {"gen-sky": "public", "gen-photosynthesis": "secret"}


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
