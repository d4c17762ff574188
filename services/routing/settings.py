"""Routing settings (`LAPOR_` prefix; documented in `.env.example`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator

from shared.settings import CommonSettings

__all__ = ["DEV_OPERATOR_TOKEN", "RoutingSettings", "dev_opd_token"]

DEV_OPERATOR_TOKEN = "dev-operator"  # noqa: S105 - documented development default


def dev_opd_token(code: str) -> str:
    """The development token of an OPD: `dev-<code in lower case>`."""
    return f"dev-{code.lower()}"


class RoutingSettings(CommonSettings):
    """Routing: classifier, verification threshold, operator and OPD staff API."""

    routing_port: int = Field(default=8001, ge=1, le=65535)
    routing_confidence_threshold: float = Field(default=0.6, ge=0.0, le=1.0)
    routing_model_file: Path = Path("var/models/routing.joblib")
    cache_dir: Path = Path("var/cache")
    operator_token: SecretStr = SecretStr(DEV_OPERATOR_TOKEN)
    opd_tokens: dict[str, SecretStr] = Field(default_factory=dict)
    console_secret_key: SecretStr | None = None

    @model_validator(mode="after")
    def _no_development_tokens_in_production(self) -> RoutingSettings:
        if self.environment == "production":
            if self.operator_token.get_secret_value() == DEV_OPERATOR_TOKEN:
                raise ValueError("LAPOR_OPERATOR_TOKEN must be set in production")
            for code, token in self.opd_tokens.items():
                if token.get_secret_value() == dev_opd_token(code):
                    raise ValueError(f"LAPOR_OPD_TOKENS: {code} uses its development token")
        if self.environment == "production" and (
            self.console_secret_key is None or len(self.console_secret_key.get_secret_value()) < 32
        ):
            raise ValueError("LAPOR_CONSOLE_SECRET_KEY must be set (32+ characters) in production")
        for code, token in self.opd_tokens.items():
            if len(token.get_secret_value()) < 8:
                raise ValueError(f"LAPOR_OPD_TOKENS: token of {code} is shorter than 8 characters")
        return self
