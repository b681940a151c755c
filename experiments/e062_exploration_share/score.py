"""e062: the simulation (S1, S2), item 2 (S3) and item 1 as a simulated validator judges (pooled
decision TPR / honest flag rate per arm and swap, seeds >= 0.99, cells above 0.01; E1-E4), scored
as hypothesis.md fixes them.

Run: python3 experiments/e062_exploration_share/score.py [result.json]
"""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ARMS = ("mean5", "choose", "mean5_e0", "choose_e0")
HARD, LLAMA9 = "gemma-2-27b as gemma-2-9b", "llama-3-1-8b as gemma-2-9b"


def pooled(rows, arm):
    c = sum(r[arm]["caught"] for r in rows) / sum(r[arm]["cheaters"] for r in rows)
    h = sum(r[arm]["flagged"] for r in rows) / sum(r[arm]["honest"] for r in rows)
    return c, h


def item1(path: Path) -> dict:
    rows = json.loads(path.read_text())["rows"]
    table = {}
    for pair in sorted({r["pairing"] for r in rows}):
        rs = [r for r in rows if r["pairing"] == pair]
        print(f"{pair} ({len(rs)} seeds)")
        for arm in ARMS:
            c, h = pooled(rs, arm)
            seeds_ok = sum(r[arm]["caught"] >= 0.99 * r[arm]["cheaters"] for r in rs)
            cells_h = sum(r[arm]["flagged"] > 0.01 * r[arm]["honest"] for r in rs)
            table[pair, arm] = (c, h)
            print(
                f"  {arm:10s} TPR {c:.4f} ({seeds_ok}/{len(rs)} seeds >= 0.99)  honest {h:.4f} ({cells_h} cells > 0.01)"
            )
    return table


def simulation(name: str, labels: tuple[str, str]) -> None:
    """S1 and S2 (``labels``) on one run of simulation.py."""
    path = HERE / name
    if not path.exists():
        return
    print(f"{name}:")
    rows = json.loads(path.read_text())
    ok, honest = True, {}
    for share in (0.2, 0.0):
        rs = [r for r in rows if r["exploration"] == share]
        honest[share] = sum(r["wrongly_slashed_total"] > 0 for r in rs)
        print(f"exploration {share}: runs with an honest node slashed {honest[share]} of {len(rs)}")
    for scenario in ("kb_swap", "model_swap", "collusion_ring"):
        rate = {}
        for share in (0.2, 0.0):
            v = [r["tpr_cheaters"] for r in rows if r["scenario"] == scenario and r["exploration"] == share]
            v = [x for x in v if not math.isnan(x)]
            rate[share] = sum(v) / len(v)
        ok &= rate[0.0] >= 0.9 * rate[0.2]
        print(
            f"  {scenario:15s} cheaters' guilty rate (mean of seeds): 0.2 {rate[0.2]:.4f}, 0 {rate[0.0]:.4f} (ratio {rate[0.0] / rate[0.2]:.2f})"
        )
    print(f"{labels[0]}: {'holds' if ok else 'fails'}")
    print(f"{labels[1]}: {'holds' if honest[0.0] <= 4 else 'fails'}")


def item2() -> None:
    uppers = [float(u) for u in re.findall(r"95% upper ([0-9.e+-]+)\)", (HERE / "output_item2.txt").read_text())]
    print(f"item 2 upper bounds {uppers}")
    print(f"S3: {'holds' if len(uppers) == 2 and max(uppers) < 1e-3 else 'fails'}")


def main() -> None:
    simulation("result_simulation.json", ("S1", "S2"))
    simulation("result_simulation_11_20.json", ("S4 (S1's criterion)", "S4 (S2's criterion)"))
    item2()
    result = HERE / "result.json"
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else result
    if not path.exists():
        return
    table = item1(path)
    if path != result:
        return
    pairs = sorted({pair for pair, _ in table})
    verdicts = [  # hypothesis.md, part 2
        ("E1", table[HARD, "choose_e0"][0] > table[HARD, "choose"][0] + 0.003),
        ("E2", table[HARD, "choose_e0"][0] >= max(0.99, table[HARD, "mean5"][0] - 0.002)),
        ("E3", table[LLAMA9, "choose_e0"][1] < table[LLAMA9, "choose"][1]),
        ("E4", all(table[p, "choose_e0"][0] >= 0.99 and table[p, "choose_e0"][1] <= 0.01 for p in pairs)),
    ]
    for name, ok in verdicts:
        print(f"{name}: {'holds' if ok else 'fails'}")


if __name__ == "__main__":
    main()
