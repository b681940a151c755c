"""e048, not kept: the same gamma tail in the *default* detector's location test (a monkeypatched copy
of `gaia_sim.detector.default.question_p_values`, from 5 answers), measured on the exploration data.

Run: PYTHONPATH=.:tests:experiments/e010_diluted_cheating .venv/bin/python \
         experiments/e048_nearest_misses/default_tail_prototype.py {none,tail} {one,bank,real}

one: the one-question construction (one_question.py); bank: e010's diluted design at 5 x 5;
real: e043's real-run design, seeds 0 and 1, the default detector (its learned questions follow
its verdicts, so they change with it).
"""

import sys
import warnings

import numpy as np

from gaia_sim.detector import assess
from gaia_sim.detector import default as D
from gaia_sim.detector.nearest import beyond_draws_p


def question_p_values(questions, s, d, peers, boot, rng, grams=None):
    n_nodes, n_q = s.count.shape
    p_loc, p_disp = np.full((n_nodes, n_q), np.nan), np.full((n_nodes, n_q), np.nan)
    tied = np.zeros((n_nodes, n_q), dtype=bool)
    pseudo_loc, pseudo_disp = np.full((boot, n_q), np.nan), np.full((boot, n_q), np.nan)
    loc, disp = ([], [], [], [], []), ([], [], [], [], [])
    items, used = [], []
    for q in range(n_q):
        count = s.count[:, q]
        pool = questions[q].pool(peers) if (count > 0).sum() >= D.MIN_PEERS else np.zeros(0, np.int64)
        if len(pool) < 2:
            continue
        rows = [np.flatnonzero(count == n) for n in questions[q].counts]
        same = [r[peers[r]] for r in rows]
        items.append((questions[q], pool, same, [d[j, q] for j in same]))
        used.append((q, rows))
    for (q, rows), (null_d, null_w) in zip(used, D._pseudo_nodes(items, boot, rng, grams)):
        counts = questions[q].counts
        for i, n in enumerate(counts):
            for (nulls, cells, group, own, ns), null in zip((loc, disp) if n > 1 else (loc,), (null_d[i], null_w[i])):
                cells.append(rows[i] * n_q + q)
                group.append(np.full(len(rows[i]), len(nulls)))
                ns.append(np.full(len(rows[i]), n))
                if n == counts[-1]:
                    own.append((q, len(nulls)))
                nulls.append(null)
    for (nulls, cells, group, own, ns), out, pseudo in ((loc, p_loc, pseudo_loc), (disp, p_disp, pseudo_disp)):
        if not nulls:
            continue
        stacked = np.vstack(nulls)
        null = D._Null(stacked)
        value = np.concatenate(
            [(d if out is p_loc else s.within).ravel()[np.concatenate(cells)]] + [nulls[g] for _, g in own]
        )
        group = np.concatenate(group + [np.full(boot, g) for _, g in own])
        if out is p_loc:
            p, tie = null.upper(value, group)
            tied.ravel()[np.concatenate(cells)] = tie[: len(value) - boot * len(own)]
            m = len(value) - boot * len(own)
            p[:m] = beyond_draws_p(value[:m], stacked[group[:m]], p[:m], np.concatenate(ns))
        else:
            p = null.two_sided(value, rng.random(len(value)), group)
        cells = np.concatenate(cells)
        out.ravel()[cells] = p[: len(cells)]
        for k, (q, _) in enumerate(own):
            pseudo[:, q] = p[len(cells) + k * boot : len(cells) + (k + 1) * boot]
    return p_loc, p_disp, tied, pseudo_loc, pseudo_disp


def install():
    D.question_p_values = question_p_values


def main() -> None:
    warnings.filterwarnings("ignore")
    if sys.argv[1] == "tail":
        install()
    what = sys.argv[2]

    if what == "one":
        from test_detector_nearest import far_on_one_question

        rng = np.random.default_rng(8)
        f = 0
        for t in range(20):
            x, labels = far_on_one_question(rng)
            f += int(assess(x, alpha=0.01, seed=t).flagged[labels][0])
        print(sys.argv[1], "one-question nodes flagged by the default:", f, "of 20")
    elif what == "bank":
        from measure import trial

        from gaia_sim.answers.bank import load_default_bank
        from gaia_sim.evaluation import bank_pools

        pools, _, _ = bank_pools(load_default_bank())
        for role in ("lazy_refusal", "cheaper_model"):
            for share in (0.25, 0.5):
                rng = np.random.default_rng([0, 5, 5, int(share * 1000)])
                tp = fp = nb = ng = 0
                for _ in range(100):
                    x, labels = trial(pools, role, share, 5, 5, rng)
                    fl = assess(x, alpha=0.01, seed=int(rng.integers(2**31))).flagged
                    tp += fl[labels].sum()
                    nb += labels.sum()
                    fp += fl[~labels].sum()
                    ng += (~labels).sum()
                print(sys.argv[1], f"bank 5x5 {role} {share}: TPR {tp / nb:.3f} honest {fp / ng:.4f}", flush=True)
    elif what == "real":
        from gaia_sim import evaluation as ev
        from gaia_sim.answers import gaia_real

        learn, judge = ev.split_pools(ev.real_pools(gaia_real.load_real()), 0.4)
        for seed in (0, 1):
            for honest, cheat in (
                ("gemma-2-9b", "gemma-2-27b"),
                ("gemma-2-27b", "gemma-2-9b"),
                ("gemma-2-9b", "llama-3-1-8b"),
                ("gemma-2-27b", "llama-3-1-8b"),
            ):
                rng = np.random.default_rng(seed)
                spec = ev.TrialSpec(honest, cheat, 30, 3, 5, 5, (0, 1), (0, 1))
                qsets = [ev.learn_questions(learn, spec, 5, 20, rng) for _ in range(5)]
                s = ev.evaluate_learned(judge, spec, {"d": {"detector": "default"}}, 200, rng, qsets)["d"].summary()
                print(
                    sys.argv[1],
                    f"seed {seed} {cheat} as {honest}: ROC {s['tpr_at_fpr']:.3f} decisions {s['cheat_flag_rate']:.3f} honest {s['honest_flag_rate']:.4f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
