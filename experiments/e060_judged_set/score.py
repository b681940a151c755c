"""e060: pooled decision TPR / honest flag rate per arm and swap, seeds >= 0.99, cells missed, and
hypotheses J1-J6 (hypothesis.md) scored on result.json.

Run: python experiments/e060_judged_set/score.py [result.json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ARMS = ("mean5", "choose", "choose_w0", "mean4_w0")
HARD, LLAMA9 = "gemma-2-27b as gemma-2-9b", "llama-3-1-8b as gemma-2-9b"


def pooled(rows, arm):
    c = sum(r[arm]["caught"] for r in rows) / sum(r[arm]["cheaters"] for r in rows)
    h = sum(r[arm]["flagged"] for r in rows) / sum(r[arm]["honest"] for r in rows)
    return c, h


def main() -> None:
    rows = json.loads(Path(sys.argv[1] if len(sys.argv) > 1 else HERE / "result.json").read_text())["rows"]
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
    verdicts = [
        ("J1", table[HARD, "choose"][0] < table[HARD, "mean5"][0] - 0.005),
        ("J2", table[LLAMA9, "choose"][1] > table[LLAMA9, "mean5"][1]),
        ("J3", table[LLAMA9, "mean4_w0"][1] < table[LLAMA9, "mean5"][1]),
        ("J4", table[HARD, "mean4_w0"][0] > table[HARD, "choose"][0] + 0.003),
        ("J5", table[HARD, "mean4_w0"][0] >= 0.99),
        ("J6", table[LLAMA9, "choose_w0"][1] < table[LLAMA9, "choose"][1]),
    ]
    for name, ok in verdicts:
        print(f"{name}: {'holds' if ok else 'fails'}")


if __name__ == "__main__":
    main()
