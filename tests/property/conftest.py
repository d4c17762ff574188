"""Property tests (Hypothesis) of every normaliser: deterministic unless asked otherwise."""

from tests.property.profiles import load_profile

load_profile()
