"""Mutation testing of the economic rules with mutmut (issue 13 item 8; not part of CI).

mutmut is not a dependency of gaia-sim: install it into a folder of its own and point
``MUTMUT_LIB`` at it (appended to ``sys.path`` after the project's environment, so the project's
pytest and numpy win)::

    python -m pip install --target /tmp/mutmut-lib mutmut==3.8.1
    MUTMUT_LIB=/tmp/mutmut-lib nice -n 15 python tools/mutation.py run --max-children 2
    MUTMUT_LIB=/tmp/mutmut-lib python tools/mutation.py score       # killed / total per module
    MUTMUT_LIB=/tmp/mutmut-lib python tools/mutation.py results     # mutmut's own list of survivors
    MUTMUT_LIB=/tmp/mutmut-lib python tools/mutation.py show NAME   # the diff of one mutant

The full run is ~3,500 mutants (about 2 hours with 2 workers on a loaded 2-core machine). A seeded
random sample of the same share of every module's mutants gives the score within a few points::

    MUTMUT_LIB=/tmp/mutmut-lib nice -n 15 python tools/mutation.py sample 0.1 --max-children 2
    MUTMUT_LIB=/tmp/mutmut-lib python tools/mutation.py score --sample

(``sample`` needs the mutants generated once: ``run`` starts by generating them, stop it with
Ctrl-C once it runs tests; the sample is written to ``mutants/sample.txt``.)

Which modules are mutated and which tests run: ``[tool.mutmut]`` in pyproject.toml. mutmut works
in a copy of the project under ``mutants/`` (git-ignored) and runs, for each mutant, only the
selected tests that call the mutated function.
"""

from __future__ import annotations

import collections
import json
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KILLED = {"killed", "timeout", "segfault", "caught by type check"}


def _results() -> dict[str, dict[str, int | None]]:
    """{module path: {mutant name: exit code}} from mutmut's result files."""
    out = {}
    for meta in sorted((ROOT / "mutants").rglob("*.py.meta")):
        module = str(meta.relative_to(ROOT / "mutants"))[: -len(".meta")]
        out[module] = json.loads(meta.read_text())["exit_code_by_key"]
    return out


def sample(fraction: float, seed: int = 0) -> list[str]:
    """A seeded random ``fraction`` of every module's mutants (at least one each), sorted."""
    rng = random.Random(seed)
    names = []
    for _module, codes in _results().items():
        keys = sorted(codes)
        names += rng.sample(keys, max(1, round(fraction * len(keys))))
    return sorted(names)


def score(only: set[str] | None = None) -> int:
    """Killed / total per module from mutmut's result files (``mutants/**/*.meta``), with mutmut's
    own reading of the exit codes (``mutmut.stats.status_by_exit_code``); a timeout counts as killed."""
    from mutmut.stats import status_by_exit_code

    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for module, codes in _results().items():
        for name, code in codes.items():
            if only is not None and name not in only:
                continue
            status = status_by_exit_code[code]
            counts[module]["killed" if status in KILLED else status] += 1
    if not counts:
        print("no results under mutants/: run `tools/mutation.py run` first", file=sys.stderr)
        return 2
    total = collections.Counter()
    for module, c in counts.items():
        n = sum(c.values())
        total.update(c)
        print(f"{module:28s} {c['killed']:5d} / {n:5d} killed ({c['killed'] / n:6.1%})  {dict(c)}")
    n = sum(total.values())
    print(f"{'all':28s} {total['killed']:5d} / {n:5d} killed ({total['killed'] / n:6.1%})  {dict(total)}")
    return 0


def main(argv: list[str]) -> int:
    lib = os.environ.get("MUTMUT_LIB")
    if lib:
        sys.path.append(lib)
    os.chdir(ROOT)
    sample_file = ROOT / "mutants" / "sample.txt"
    if argv[:1] == ["score"]:
        return score(set(sample_file.read_text().split()) if "--sample" in argv else None)
    if argv[:1] == ["sample"]:
        names = sample(float(argv[1]))
        sample_file.write_text("\n".join(names) + "\n")
        print(f"{len(names)} mutants sampled, listed in {sample_file}")
        argv = ["run", *argv[2:], *names]
    from mutmut.__main__ import cli

    return cli(argv, standalone_mode=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
