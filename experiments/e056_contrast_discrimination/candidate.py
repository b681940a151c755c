"""e056's candidate: the question selector's discrimination score as a *contrast*, the mean
standardised Fisher term of the most suspicious nodes minus that of the rest (the presumed honest
bulk), so a question on which honest nodes stand apart from each other (two honest stacks that answer
it differently) scores lower by what the bulk shows. ``install()`` patches it into
``gaia_sim.detector.selection`` (what ``QuestionSelector.update`` calls)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from gaia_sim.detector import selection

ORIGINAL = selection.discrimination


def contrast(assessment, top: float = 0.1) -> np.ndarray:
    """(Q,) the original score (top share) minus the mean standardised Fisher term of the other nodes."""
    q_p = assessment.details["question_p_location"]
    m = max(1, int(np.ceil(top * len(q_p))))
    order = np.argsort(np.nan_to_num(assessment.p_value, nan=1.0), kind="stable")
    rest = (-2.0 * np.log(q_p[order[m:]]) - 2.0) / 2.0
    with np.errstate(invalid="ignore"):
        bulk = np.nanmean(rest, axis=0) if (~np.isnan(rest)).any() else np.zeros(q_p.shape[1])
    return ORIGINAL(assessment, top) - np.nan_to_num(bulk, nan=0.0)


def install() -> None:
    selection.discrimination = contrast


def e053_measure():
    """e053's measure.py (its ``question_set_rows``: item 1's protocol, one row per learned set), loaded by path."""
    path = Path(__file__).resolve().parent.parent / "e053_item1_question_sets" / "measure.py"
    spec = importlib.util.spec_from_file_location("e053_measure", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
