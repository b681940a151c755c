"""One-way flow for the simulation core (issue 15 items 1 and 4, the part this refactor owns):
the rules and the epoch phases never import the model, and nothing below the runner imports it;
the metrics recorder reads epoch outcomes, not the model (the old metrics <-> model cycle)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "gaia_sim"
RULES = ["staking", "slashing", "quorum", "rewards", "costs", "strategy", "traffic", "validators", "nodes", "detector"]
HIGHER = {"gaia_sim.model", "gaia_sim.runner", "gaia_sim.results", "gaia_sim.sweep", "gaia_sim.metrics"}


def imports(path: Path) -> set[str]:
    """gaia_sim modules a file imports (anywhere in it, type-checking blocks included)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("gaia_sim"):
            out |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("gaia_sim")}
    return out


def files(*names: str) -> list[Path]:
    paths = [PKG / f"{n}.py" if (PKG / f"{n}.py").exists() else PKG / n for n in names]
    return [f for p in paths for f in ([p] if p.is_file() else sorted(p.rglob("*.py")))]


@pytest.mark.parametrize("path", files(*RULES, "epoch"), ids=lambda p: str(p.relative_to(PKG)))
def test_rules_and_phases_import_nothing_above_them(path):
    assert not {m for m in imports(path) if any(m == h or m.startswith(h + ".") for h in HIGHER)}


def test_metrics_reads_outcomes_not_the_model():
    assert not {m for m in imports(PKG / "metrics.py") if m.startswith(("gaia_sim.model", "gaia_sim.runner"))}
