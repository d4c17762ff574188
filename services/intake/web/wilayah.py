"""Kecamatan and desa/kelurahan offered by the web form (`data/wilayah-lingga.yaml`)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = ["Kecamatan", "Village", "Wilayah", "WilayahError", "load_wilayah"]


class WilayahError(ValueError):
    """The wilayah file is missing or malformed."""


class Village(BaseModel):
    """A desa or kelurahan."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: Literal["desa", "kelurahan"]

    @property
    def label(self) -> str:
        """How the form shows it: "Desa Resang", "Kelurahan Dabo"."""
        return f"{self.kind.capitalize()} {self.name}"


class Kecamatan(BaseModel):
    """A kecamatan with its kelurahan and desa, as the file lists them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    kelurahan: tuple[str, ...] = ()
    desa: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _unique_names(self) -> Kecamatan:
        names = [*self.kelurahan, *self.desa]
        if len(set(names)) != len(names) or not all(n.strip() for n in names):
            raise ValueError(f"empty or repeated desa/kelurahan names in {self.name}")
        return self

    @property
    def villages(self) -> tuple[Village, ...]:
        """Kelurahan first, then desa."""
        return tuple(Village(name=n, kind="kelurahan") for n in self.kelurahan) + tuple(
            Village(name=n, kind="desa") for n in self.desa
        )

    def has(self, village: str) -> bool:
        """Whether this kecamatan has a desa or kelurahan of that name."""
        return village in self.kelurahan or village in self.desa


class Wilayah(BaseModel):
    """The kabupaten's kecamatan, in form order."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    kabupaten: str
    provinsi: str = ""
    kecamatan: tuple[Kecamatan, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_kecamatan(self) -> Wilayah:
        names = [k.name for k in self.kecamatan]
        if len(set(names)) != len(names):
            raise ValueError("repeated kecamatan names")
        return self

    def get(self, name: str) -> Kecamatan | None:
        """The kecamatan of that exact name, or None."""
        return next((k for k in self.kecamatan if k.name == name), None)

    def kecamatan_of(self, village: str) -> list[Kecamatan]:
        """Every kecamatan that has a desa or kelurahan of that name."""
        return [k for k in self.kecamatan if k.has(village)]


def load_wilayah(path: Path | None = None) -> Wilayah:
    """Load the wilayah file at `path`, or the shipped Kabupaten Lingga list."""
    try:
        if path is None:
            data = resources.files("services.intake").joinpath("data/wilayah-lingga.yaml")
            text = data.read_text("utf-8")
        else:
            text = path.read_text("utf-8")
        return Wilayah.model_validate(yaml.safe_load(text))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise WilayahError(f"invalid wilayah file {path or 'wilayah-lingga.yaml'}: {exc}") from exc
