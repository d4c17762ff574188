"""Routing settings (`LAPOR_` prefix; documented in `.env.example`)."""

from __future__ import annotations

from pydantic import Field

from shared.settings import CommonSettings

__all__ = ["RoutingSettings"]


class RoutingSettings(CommonSettings):
    """Routing: classifier, verification threshold, operator API."""

    routing_port: int = Field(default=8001, ge=1, le=65535)
    routing_confidence_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
