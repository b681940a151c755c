"""e008 analysis: e002's rule (``experiments/e002_deterrence_phase/analysis.py``, fixed before either
sweep ran) applied to the e008 sweep (8 questions per probe). p and q are re-measured by the same
calibration with the sweep's fixed parameters, so they are per-probe rates of guilty verdicts
with 8 questions per probe.

    gaia-sim sweep experiments/e008_deterrence_8_questions/sweep.toml --workers 2
    .venv/bin/python experiments/e008_deterrence_8_questions/analysis.py [results/sweeps/e008_deterrence_8_questions]

Writes figure.png and cells.csv next to this file, and the sweep report's phase diagram with the boundary.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
_SPEC = importlib.util.spec_from_file_location("e002_analysis", HERE.parent / "e002_deterrence_phase" / "analysis.py")
e002 = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(e002)

if __name__ == "__main__":
    e002.main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("results/sweeps/e008_deterrence_8_questions"), out=HERE)
