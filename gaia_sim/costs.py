"""Cost of serving answers, calibrated from the measured latency of real models in the answer bank.

A node pays for GPU time: ``cost per answer = seconds_per_answer(served config) x compute price per
second``. ``seconds_per_answer`` is measured (``AnswerSource.cost(config)``), so a node that serves
a cheaper model (fewer layers, lower precision) or skips retrieval saves exactly what the real
models save. A fixed per-epoch cost (hosting, bandwidth) is added for every active node.
Pure functions; units: tokens, seconds, answers.
"""

from __future__ import annotations

import numpy as np


def cost_per_answer(seconds_per_answer, compute_price_per_s: float) -> np.ndarray:
    """Tokens one answer costs: measured wall seconds x price of a GPU-second."""
    return np.asarray(seconds_per_answer, float) * compute_price_per_s


def node_epoch_cost(
    compute_s, compute_price_per_s: float, fixed_cost: float, kb_cost: float, pays_kb=True, active=True
) -> np.ndarray:
    """Tokens a node pays in an epoch: its compute seconds x price of a GPU-second, plus, while
    active, the fixed cost and the knowledge-base cost (unless it skips the KB)."""
    return cost_per_answer(compute_s, compute_price_per_s) + (
        fixed_cost + kb_cost * np.asarray(pays_kb, float)
    ) * np.asarray(active, float)
