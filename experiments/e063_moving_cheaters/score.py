"""e063: per arm, decision TPR by window of epochs (before and after the cheaters move) and the
honest flag rate, pooled over seeds and histories; the hypotheses of hypothesis.md scored on
result.json.

Run: python3 experiments/e063_moving_cheaters/score.py [result.json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHEATERS, HONEST = 3, 27


def windows(switch: int) -> dict[str, range]:
    return {
        "before, last 5": range(switch - 5, switch),
        "after 1-5": range(switch, switch + 5),
        "after 6-10": range(switch + 5, switch + 10),
        "after 11-20": range(switch + 10, 2 * switch),
        "after 1-10": range(switch, switch + 10),
    }


def table(path: Path) -> dict:
    data = json.loads(path.read_text())
    rows, switch = data["rows"], data["switch"]
    out = {}
    for share in sorted({r["exploration"] for r in rows}, reverse=True):
        rs = [r for r in rows if r["exploration"] == share]
        line = []
        for name, window in windows(switch).items():
            caught = sum(r["epochs"][e]["caught"] for r in rs for e in window)
            out[share, name] = caught / (CHEATERS * len(rs) * len(window))
            line.append(f"{name} {out[share, name]:.4f}")
        flagged = sum(e["flagged"] for r in rs for e in r["epochs"])
        out[share, "honest"] = flagged / (HONEST * len(rs) * 2 * switch)
        print(
            f"exploration {share} ({len(rs)} histories): TPR "
            + ", ".join(line)
            + f"; honest {out[share, 'honest']:.4f}"
        )
    return out


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "result.json"
    t = table(path)
    if path != HERE / "result.json":
        return
    verdicts = [  # hypothesis.md
        ("M1", t[0.0, "after 1-5"] < t[0.2, "after 1-5"] - 0.03),
        ("M2", t[0.0, "after 11-20"] >= t[0.2, "after 11-20"]),
        ("M3", abs(t[0.0, "after 6-10"] - t[0.2, "after 6-10"]) <= 0.01),
        ("M4", abs(t[0.0, "honest"] - t[0.2, "honest"]) <= 0.001),
    ]
    for name, ok in verdicts:
        print(f"{name}: {'holds' if ok else 'fails'}")


if __name__ == "__main__":
    main()
