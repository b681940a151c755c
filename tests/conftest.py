"""Shared fixtures: scenario paths, a fast stand-in answer source, and the real Gaia data folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


def gaia_data_dir() -> Path:
    return Path(os.environ.get("GAIA_DATA_DIR", ROOT.parent / "shared" / "data" / "gaia-verifiable-inference"))


@pytest.fixture
def scenarios_dir() -> Path:
    return SCENARIOS


@pytest.fixture(scope="session")
def standin():
    """The STAND-IN answer source (synthetic embeddings): plumbing tests only, never results."""
    from gaia_sim.answers.standin import StandInAnswerSource

    return StandInAnswerSource()
