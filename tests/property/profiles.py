"""Hypothesis profiles for the property and fuzz tiers.

`ci` (the default) is derandomised: the same examples every run, so a red build is
reproducible and a strict xfail cannot flip by chance. `thorough` draws fresh random
examples, many more of them, for a local bug hunt:

    LAPOR_HYPOTHESIS_PROFILE=thorough .venv/bin/python -m pytest tests/property tests/fuzz
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

__all__ = ["examples", "load_profile"]

_REPO = Path(__file__).resolve().parents[2]
_PROFILE = os.environ.get("LAPOR_HYPOTHESIS_PROFILE", "ci")
_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


def load_profile() -> None:
    """Register both profiles and load the one named by LAPOR_HYPOTHESIS_PROFILE."""
    settings.register_profile(
        "ci",
        derandomize=True,
        database=None,
        deadline=None,
        max_examples=100,
        print_blob=False,
        suppress_health_check=_SLOW_OK,
    )
    settings.register_profile(
        "thorough",
        # Failing examples are kept under var/ (ignored by git) and replayed first next time.
        database=DirectoryBasedExampleDatabase(str(_REPO / "var" / "hypothesis")),
        deadline=None,
        max_examples=2000,
        suppress_health_check=_SLOW_OK,
    )
    settings.load_profile(_PROFILE)


def examples(count: int) -> int:
    """A test's own number of examples, twenty times more under the thorough profile."""
    return count * 20 if _PROFILE == "thorough" else count
