"""e044: the nearest-stack test at half of alpha (weighted Bonferroni), on held-out seeds of the real
runs and on new synthetic all-honest domains; see hypothesis.md (runs 1 and 2). Run 3 is e011's
script (README).

Run: PYTHONPATH=.:tests .venv/bin/python experiments/e044_nearest_alpha_share/measure.py [--out FILE]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import time
import warnings
from pathlib import Path


def _e043():
    """e043's runs 1 and 2 (the same designs, reused rather than copied)."""
    path = Path(__file__).resolve().parents[1] / "e043_nearest_stack" / "measure.py"
    spec = importlib.util.spec_from_file_location("e043_measure", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--domains", type=int, default=300)
    ap.add_argument("--seeds", default="2,3", help="real-run seeds (held out: e043 and the exploration used 0, 1)")
    ap.add_argument("--synthetic-seed", type=int, default=32)
    ap.add_argument("--out")
    args = ap.parse_args()
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    e043 = _e043()
    t0 = time.perf_counter()
    seeds = tuple(int(s) for s in args.seeds.split(","))
    result = {"real": e043.real(args.trials, seeds)}
    if args.domains:  # --domains 0: the real runs only (run 4)
        result["synthetic"] = e043.synthetic(args.domains, args.synthetic_seed)
    result["seconds"] = time.perf_counter() - t0
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
