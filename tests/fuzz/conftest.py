"""Schema-driven fuzzing (Schemathesis) of the HTTP APIs, in-process over the fakes."""

from tests.property.profiles import load_profile

load_profile()
