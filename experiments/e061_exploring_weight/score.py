"""e061: K1 (simulation before / after, e056's runs) and K3 (item 1) scored; see hypothesis.md.

Run: python3 experiments/e061_exploring_weight/score.py
"""

from __future__ import annotations

import json
import math
from pathlib import Path

HERE = Path(__file__).resolve().parent
BEFORE = HERE.parent / "e056_contrast_discrimination" / "result_simulation.json"
CHOICE = "learned_ucb_contrast"


def simulation_rows(path: Path) -> list[dict]:
    text = path.read_text()
    try:
        rows = json.loads(text)
    except json.JSONDecodeError:
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    return [r for r in rows if r["choice"] == CHOICE]


def main() -> None:
    before, after = simulation_rows(BEFORE), simulation_rows(HERE / "result_simulation.json")
    ok = True
    honest = {}
    for name, rows in (("before", before), ("after", after)):
        honest[name] = sum(r["wrongly_slashed_total"] > 0 for r in rows), sum(r["wrongly_slashed_total"] for r in rows)
    print(f"honest runs with a false slash (tokens): before {honest['before']}, after {honest['after']}")
    for scenario in ("kb_swap", "model_swap", "collusion_ring"):
        b = [r["tpr_cheaters"] for r in before if r["scenario"] == scenario and not math.isnan(r["tpr_cheaters"])]
        a = [r["tpr_cheaters"] for r in after if r["scenario"] == scenario and not math.isnan(r["tpr_cheaters"])]
        mb, ma = sum(b) / len(b), sum(a) / len(a)
        ok &= ma >= 0.9 * mb
        print(
            f"{scenario:15s} cheaters' guilty rate, mean of seeds: before {mb:.4f}, after {ma:.4f} (ratio {ma / mb:.2f})"
        )
    print(f"K1 (cheater rates part): {'holds' if ok else 'fails'}; honest part: see the honest verdict counts above")
    rows = json.loads((HERE / "result_item1.json").read_text())["rows"]
    k3 = True
    for pair in sorted({r["pairing"] for r in rows}):
        sets = [s for r in rows if r["pairing"] == pair for s in r["sets"]]
        cells = [r["sets"] for r in rows if r["pairing"] == pair]
        tpr = sum(s["caught"] for s in sets) / sum(s["cheaters"] for s in sets)
        hon = sum(s["flagged"] for s in sets) / sum(s["honest"] for s in sets)
        good = sum(
            sum(s["caught"] for s in c) >= 0.99 * sum(s["cheaters"] for s in c)
            and sum(s["flagged"] for s in c) <= 0.01 * sum(s["honest"] for s in c)
            for c in cells
        )
        k3 &= tpr >= 0.99 and hon <= 0.01
        print(f"{pair:30s} TPR {tpr:.4f} honest {hon:.4f}; cells meeting item 1 {good}/{len(cells)}")
    print(f"K3: {'holds' if k3 else 'fails'}")


if __name__ == "__main__":
    main()
