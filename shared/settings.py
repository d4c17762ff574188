"""Settings shared by every service: one pydantic-settings class per service, `LAPOR_` prefix.

Every field is documented in `.env.example`; values are validated when a service starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["CommonSettings"]


class CommonSettings(BaseSettings):
    """What every service needs: broker, store, time zone, logging, HTTP binding."""

    model_config = SettingsConfigDict(
        env_prefix="LAPOR_", extra="ignore", frozen=True, env_ignore_empty=True
    )

    environment: Literal["development", "production"] = "development"
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    mongodb_url: str = "mongodb://127.0.0.1:27017/lapor"
    timezone: str = "Asia/Jakarta"
    log_level: str = "INFO"
    http_host: str = "127.0.0.1"
    prefetch: int = Field(default=16, ge=1, le=1000)
    delivery_limit: int = Field(default=10, ge=1, le=1000)
    directory_file: Path | None = None
    outbox_relay_interval_seconds: float = Field(default=2.0, gt=0)
    public_base_url: str = "http://127.0.0.1:8000"

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("mongodb_url")
    @classmethod
    def _mongodb_scheme(cls, value: str) -> str:
        if not value.startswith(("mongodb://", "mongodb+srv://")):
            raise ValueError("must start with mongodb:// or mongodb+srv://")
        return value

    @field_validator("amqp_url")
    @classmethod
    def _amqp_scheme(cls, value: str) -> str:
        if not value.startswith(("amqp://", "amqps://")):
            raise ValueError("must start with amqp:// or amqps://")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("one of DEBUG, INFO, WARNING, ERROR")
        return level

    @property
    def tz(self) -> ZoneInfo:
        """The deployment's local time zone."""
        return ZoneInfo(self.timezone)
