"""THE detector: pure numpy, no I/O. ``assess(embeddings, alpha, **options) -> Assessment``.

``embeddings`` has shape (nodes, questions, samples, dim) with NaN rows for missing answers.
Named detectors in :data:`DETECTORS`: "default" (calibrated, see ``default``), "paper" (the
paper's separation rule), "median_rank" (the issue's simple reference). Sequential evidence
across epochs: :class:`EvidenceAccumulator`. Learned question selection: :class:`QuestionSelector`.
"""

from __future__ import annotations

from gaia_sim.detector._common import Assessment, bh_reject, check_alpha, check_embeddings
from gaia_sim.detector.default import assess_default
from gaia_sim.detector.paper import assess_paper
from gaia_sim.detector.reference import assess_median_rank
from gaia_sim.detector.selection import QuestionSelector
from gaia_sim.detector.sequential import EvidenceAccumulator, ebh_reject, mixture_calibrator
from gaia_sim.errors import UserError


def assess_default_all(x, alpha, **options):
    """The default detector with every answering node a peer in the first pass
    (``first_pass="all"``): a little more power with few cheaters on continuous answers, much less
    when a large minority colludes (docs/detector.md)."""
    return assess_default(x, alpha, **({"first_pass": "all"} | options))


def assess_default_nearest(x, alpha, **options):
    """The default detector with the nearest-stack location test added (``nearest_stack=True``,
    :mod:`gaia_sim.detector.nearest`): for honest nodes on a few stacks that differ as much as a
    cheaper model does (experiment e042)."""
    return assess_default(x, alpha, **({"nearest_stack": True} | options))


DETECTORS = {
    "default": assess_default,
    "default_all": assess_default_all,
    "default_nearest": assess_default_nearest,
    "paper": assess_paper,
    "median_rank": assess_median_rank,
}


def assess(embeddings, alpha: float = 0.01, detector: str = "default", **options) -> Assessment:
    """Judge every node of one domain from its answers' embeddings.

    ``embeddings``: float (nodes, questions, samples, dim), NaN rows for missing answers.
    ``alpha``: level (FDR across nodes for "default"). ``detector``: a name in DETECTORS.
    ``options``: passed to the detector (default: ``weights``, ``dispersion``, ``fdr``).
    Returns an :class:`Assessment` with ``score``, ``p_value`` and ``flagged``, one per node.
    """
    if detector not in DETECTORS:
        raise UserError(f"assess(detector={detector!r}): allowed {sorted(DETECTORS)}")
    x = check_embeddings(embeddings)
    try:
        return DETECTORS[detector](x, check_alpha(alpha), **options)
    except TypeError as exc:  # unknown option
        raise UserError(f"assess(detector={detector!r}): {exc}") from None


__all__ = [
    "Assessment",
    "DETECTORS",
    "EvidenceAccumulator",
    "QuestionSelector",
    "assess",
    "bh_reject",
    "ebh_reject",
    "mixture_calibrator",
]
