"""e054, the screen (development data, before the hypotheses were fixed): the candidate against the
code on e053's question sets that flagged more than 2% of honest verdicts (honest flags by run
block) and on every swap at seeds 50-55, 20 learning epochs (as e053's ``local_null.py``).

Run: PYTHONPATH=.:tests .venv/bin/python experiments/e054_learning_detector/screen.py current|own_scatter|randomised
"""

from __future__ import annotations

import importlib.util
import json
import sys
import warnings
from pathlib import Path

from gaia_sim import evaluation as ev
from gaia_sim.answers import gaia_real

HERE = Path(__file__).resolve().parent
E053 = HERE.parent / "e053_item1_question_sets"


def _module(path: Path):
    spec = importlib.util.spec_from_file_location(f"e054_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    mode = sys.argv[1]
    _module(HERE / "candidate.py").install(mode)
    measure, diagnose = _module(E053 / "measure.py"), _module(E053 / "diagnose.py")
    learn, judge = ev.split_pools(ev.real_pools(gaia_real.load_real()), 0.4)
    rows = json.loads((E053 / "result.json").read_text())["rows"]
    cells = [
        {"epochs": c["epochs"], "seed": c["seed"], "pairing": c["pairing"], "set": s["set"]}
        for c in rows
        for s in c["sets"]
        if s["flagged"] / s["honest"] > 0.02
    ]
    total = {0: [0, 0], 1: [0, 0]}
    for cell in cells:
        v = diagnose.replay(judge, learn, cell)
        for r in (0, 1):
            total[r] = [total[r][0] + v[r][0], total[r][1] + v[r][1]]
    print(mode, "question sets above 0.02, honest [verdicts, flagged] by run:", total, flush=True)
    for honest, cheat in ev.REAL_PAIRINGS:
        spec = ev.TrialSpec(honest, cheat, 30, 3, 5, 5, (0, 1), (0, 1))
        sets = [r for seed in range(50, 56) for r in measure.question_set_rows(judge, learn, spec, seed, 20)]
        tpr = sum(r["caught"] for r in sets) / sum(r["cheaters"] for r in sets)
        hon = sum(r["flagged"] for r in sets) / sum(r["honest"] for r in sets)
        print(mode, f"{cheat} as {honest}: decision TPR {tpr:.4f} honest flag rate {hon:.4f}", flush=True)


if __name__ == "__main__":
    main()
