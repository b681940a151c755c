"""Merge the finished configurations of an unfinished scale-bank build into a bank folder of their own.

Run: .venv/bin/python experiments/e014_scale_bank_false_verdicts/subset_bank.py OUT CONFIG_ID...

Copies the finished chunks (``partial/<hash>/``) of the given configurations of
``gaia_sim/data/bank-scale`` to ``OUT`` and lets ``bank build`` merge them (nothing is generated:
every chunk exists; a configuration with a missing chunk is refused). The honest-variant role lists
the given honest variants only.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from gaia_sim.answers.build import BuildPlan, build
from gaia_sim.answers.knowledge import load_questions
from gaia_sim.answers.store import atomic_write_json, read_manifest
from gaia_sim.answers.zoo import DEFAULT_ROOT_SEED, SCALE_SAMPLES, scale_questions, scale_zoo

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "gaia_sim" / "data" / "bank-scale"


def main(out: Path, ids: list[str]) -> None:
    configs, roles = scale_zoo()
    chosen = [c for c in configs if c.id in ids]
    questions = scale_questions(load_questions())
    for c in chosen:
        h = c.content_hash(DEFAULT_ROOT_SEED)
        chunks = sorted((SOURCE / "partial" / h).glob("*.npz"))
        if len(chunks) < len(questions):
            raise SystemExit(f"{c.id}: {len(chunks)} of {len(questions)} chunks finished; wait for the build")
        (out / "partial" / h).mkdir(parents=True, exist_ok=True)
        for f in chunks:
            shutil.copy2(f, out / "partial" / h / f.name)
    kept = {r: v for r, v in roles.items() if isinstance(v, str) and v in ids}
    kept["honest_variants"] = [v for v in roles["honest_variants"] if v in ids]
    build(BuildPlan(out, chosen, kept, questions, SCALE_SAMPLES, DEFAULT_ROOT_SEED), progress=False)
    manifest = read_manifest(out)
    manifest["roles"] = kept
    atomic_write_json(out / "manifest.json", manifest)
    print(f"{out}: {len(chosen)} configurations x {len(questions)} questions x {SCALE_SAMPLES} samples; roles {kept}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2:])
