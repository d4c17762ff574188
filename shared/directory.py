"""The agency directory: which OPDs and external bodies a complaint can go to.

The default is the Lingga catalogue shipped in `shared/data/opd-lingga.yaml`; a deployment
points `LAPOR_DIRECTORY_FILE` at its own copy (same format) to change names or contacts.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = ["Agency", "Directory", "DirectoryError", "load_directory"]


class DirectoryError(ValueError):
    """The directory file is missing or malformed."""


class Agency(BaseModel):
    """One OPD or external body."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    code: str = Field(pattern=r"^[A-Z0-9]{2,20}$")
    name: str = Field(min_length=1)
    scope: str = ""
    external: bool = False
    email: str | None = None

    @field_validator("scope", mode="before")
    @classmethod
    def _scope_text(cls, value: object) -> str:
        return "" if value is None else str(value)


class Directory:
    """Agencies by code, in catalogue order."""

    def __init__(self, agencies: list[Agency]) -> None:
        codes = [a.code for a in agencies]
        if len(set(codes)) != len(codes):
            raise DirectoryError("duplicate agency codes in directory")
        if not agencies:
            raise DirectoryError("directory has no agencies")
        self._by_code = {a.code: a for a in agencies}

    @property
    def agencies(self) -> list[Agency]:
        """All agencies, in catalogue order."""
        return list(self._by_code.values())

    @property
    def codes(self) -> list[str]:
        """All agency codes, in catalogue order."""
        return list(self._by_code)

    def get(self, code: str) -> Agency | None:
        """The agency with this code (case-insensitive), or None."""
        return self._by_code.get(code.upper())

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code.upper() in self._by_code


def _parse(text: str, source: str) -> Directory:
    try:
        raw = yaml.safe_load(text)
        items = raw["agencies"]
        return Directory([Agency.model_validate(item) for item in items])
    except (yaml.YAMLError, KeyError, TypeError, ValidationError) as exc:
        raise DirectoryError(f"invalid directory {source}: {exc}") from exc


def load_directory(path: Path | None = None) -> Directory:
    """Load the directory from `path`, or the shipped Lingga default."""
    if path is None:
        text = resources.files("shared").joinpath("data/opd-lingga.yaml").read_text("utf-8")
        return _parse(text, "opd-lingga.yaml (default)")
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise DirectoryError(f"cannot read directory {path}: {exc}") from exc
    return _parse(text, str(path))
