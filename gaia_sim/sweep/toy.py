"""A toy stand-in backend for testing and benchmarking the sweep machinery itself.

It has the same surface as ``gaia_sim`` for sweeps (``load_scenario(path)`` -> an object with
``with_overrides``, ``to_dict``, ``hash``, ``name``; ``simulate(scenario, progress=False)`` -> an object
with ``.summary`` and ``.network``) but its model is a few lines of replicator dynamics (Taylor & Jonker
1978): the cheater share ``c`` grows by ``rate * c * (1 - c) * (gain - p * fraction * stake)`` plus seeded
noise. It is NOT the Gaia model; nothing but sweep tests and the sweep benchmark may use it.
Select it with ``gaia-sim sweep FILE --backend gaia_sim.sweep.toy``.
"""

from __future__ import annotations

import hashlib
import json
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gaia_sim.errors import UserError

DEFAULTS: dict[str, Any] = {
    "name": "toy",
    "seed": 1,
    "epochs": 50,
    "staking": {"node_stake": 100.0},
    "slashing": {"fraction": 0.5},
    "detection": {"p": 0.2},
    "cheating": {"gain": 5.0, "initial_share": 0.3, "rate": 0.05},
    "toy": {"sleep_s": 0.0, "fail_above_stake": -1.0},
}


@dataclass(frozen=True)
class ToyScenario:
    data: dict = field(default_factory=lambda: json.loads(json.dumps(DEFAULTS)))

    @property
    def name(self) -> str:
        return self.data["name"]

    @property
    def hash(self) -> str:
        return hashlib.sha256(json.dumps(self.data, sort_keys=True).encode()).hexdigest()

    def to_dict(self) -> dict:
        return json.loads(json.dumps(self.data))

    def with_overrides(self, overrides: dict[str, Any]) -> "ToyScenario":
        data = self.to_dict()
        for path, value in overrides.items():
            _set(data, path, value)
        return ToyScenario(data)


def _set(data: dict, path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = data
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
    if not isinstance(node, dict) or leaf not in node:
        raise UserError(f"{path}: unknown parameter")
    old = node[leaf]
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or (isinstance(old, int) and not isinstance(value, int))
    ):
        raise UserError(f"{path}: must be {'an integer' if isinstance(old, int) else 'a number'}, got {value!r}")
    if value < 0:
        raise UserError(f"{path}: must be >= 0, got {value!r}")
    node[leaf] = value


def load_scenario(path: str | Path) -> ToyScenario:
    """Defaults overridden by the (flat or nested) tables of a TOML file."""
    raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    flat = {}
    for key, value in raw.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        elif key != "name":
            flat[key] = value
    scenario = ToyScenario().with_overrides(flat)
    scenario.data["name"] = raw.get("name", Path(path).stem)
    return scenario


@dataclass
class ToyResult:
    scenario: ToyScenario
    summary: dict
    network: pd.DataFrame


def simulate(scenario: ToyScenario, progress: bool = False, on_epoch=None) -> ToyResult:
    d = scenario.data
    if 0 <= d["toy"]["fail_above_stake"] < d["staking"]["node_stake"]:
        raise RuntimeError("toy model asked to fail for this cell")
    time.sleep(d["toy"]["sleep_s"])
    rng = np.random.default_rng(d["seed"])
    c, ch = d["cheating"], [d["cheating"]["initial_share"]]
    advantage = c["gain"] - d["detection"]["p"] * d["slashing"]["fraction"] * d["staking"]["node_stake"]
    for _ in range(d["epochs"]):
        x = ch[-1] + c["rate"] * ch[-1] * (1 - ch[-1]) * advantage + rng.normal(0, 0.01)
        ch.append(float(np.clip(x, 0.0, 1.0)))
    honest = 1.0 - np.array(ch[1:])
    network = pd.DataFrame({"epoch": np.arange(1, len(honest) + 1), "honest_share": honest})
    tail = honest[-max(1, len(honest) // 10) :]
    summary = {
        "final_honest_share": float(honest[-1]),
        "mean_honest_share_last_10pct": float(tail.mean()),
        "profit_per_node_honest": 10.0,
        "profit_per_node_cheater": 10.0 + advantage,
        "settled_epoch": -1.0,
    }
    return ToyResult(scenario, summary, network)
