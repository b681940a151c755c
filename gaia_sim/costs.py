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


def served_seconds(config_s, stack_s, claimed_s: float, is_stack_config=False) -> np.ndarray:
    """Seconds per answer of a configuration served on a node's own hardware/software stack.

    The bank measures every configuration on one reference machine, the claimed configuration in
    ``claimed_s`` seconds and the node's stack (e.g. fp32 weights) in ``stack_s``. A node keeps its
    stack whatever it serves, so it runs every configuration ``stack_s / claimed_s`` times slower
    (or faster) than the reference: ``config_s x stack_s / claimed_s`` (decode time scales with the
    stack's per-token throughput; Kwon et al., "Efficient Memory Management for Large Language Model
    Serving with PagedAttention", SOSP 2023, sec. 2: decoding is memory-bound, so dtype and batch
    scale every model's step alike). The stack's own honest configuration was measured on it:
    ``stack_s`` (``is_stack_config``). A cheater thus keeps its stack's capacity and pays its
    stack's cost for what it serves.
    """
    scaled = np.asarray(config_s, float) * (np.asarray(stack_s, float) / claimed_s if claimed_s > 0 else 1.0)
    return np.where(is_stack_config, np.asarray(stack_s, float), scaled)


def capital_cost(stake, annual_rate: float, epoch_hours: float) -> np.ndarray:
    """Tokens per epoch that locking ``stake`` costs its owner: the yield it forgoes, the annual
    rate compounded down to one epoch, ``stake x ((1 + rate)^(epoch_hours / 8760) - 1)`` (a year of
    8,760 hours). The default rate is the Ethereum staking yield (ethereum.org/staking), what the
    same capital earns staked elsewhere at the risk of the protocol's slashing."""
    per_epoch = (1.0 + annual_rate) ** (epoch_hours / 8760.0) - 1.0
    return np.asarray(stake, float) * per_epoch
