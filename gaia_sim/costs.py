"""Cost of serving answers, calibrated from the measured latency of real models in the answer bank.

A node pays for GPU time: ``cost per answer = seconds_per_answer(served config) x compute price per
second``. ``seconds_per_answer`` is measured (``AnswerSource.cost(config)``), so a node that serves
a cheaper model (fewer layers, lower precision) or skips retrieval saves exactly what the real
models save. A fixed per-epoch cost (hosting, bandwidth) is added for every active node.
Pure functions; units: tokens, seconds, answers.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np


def cost_per_answer(seconds_per_answer, compute_price_per_s: float) -> np.ndarray:
    """Tokens one answer costs: measured wall seconds x price of a GPU-second."""
    return np.asarray(seconds_per_answer, float) * compute_price_per_s


def node_epoch_cost(compute_s, compute_price_per_s: float, fixed_cost: float, kb_cost: float,
                    pays_kb=True, active=True) -> np.ndarray:
    """Tokens a node pays in an epoch: its compute seconds x price of a GPU-second, plus, while
    active, the fixed cost and the knowledge-base cost (unless it skips the KB)."""
    return (cost_per_answer(compute_s, compute_price_per_s)
            + (fixed_cost + kb_cost * np.asarray(pays_kb, float)) * np.asarray(active, float))


def cost_table(source, configs: Sequence[str], compute_price_per_s: float,
               zero_cost: Sequence[str] = ()) -> dict[str, float]:
    """Cost per answer of each configuration from the bank's measured ``seconds_per_answer``.

    Configurations in ``zero_cost`` (e.g. replayed or refused answers that run no model) cost 0.
    """
    out = {}
    for c in configs:
        out[c] = 0.0 if c in zero_cost else float(cost_per_answer(source.cost(c).seconds_per_answer,
                                                                  compute_price_per_s))
    return out


def costs_by_node(answers: np.ndarray, config_index: np.ndarray, table: Sequence[float],
                  fixed_per_epoch: float = 0.0, active: np.ndarray | None = None) -> np.ndarray:
    """Tokens each node spent this epoch: answers x cost of the config it served + fixed cost."""
    per = np.asarray(table, float)[np.asarray(config_index, np.int64)]
    fixed = fixed_per_epoch if active is None else fixed_per_epoch * np.asarray(active, float)
    return np.asarray(answers, float) * per + fixed


def cost_saving(answers_per_epoch: float, honest_cost: float, cheat_cost: float) -> float:
    """Tokens per epoch a cheater saves by serving ``cheat_cost`` instead of ``honest_cost`` answers."""
    return answers_per_epoch * (honest_cost - cheat_cost)


def table_as_array(table: Mapping[str, float], order: Sequence[str]) -> np.ndarray:
    """Cost table in a fixed configuration order, for :func:`costs_by_node`."""
    return np.array([table[c] for c in order], float)
