import pytest
from pydantic import SecretStr, ValidationError

from services.notify.settings import NotifySettings
from shared.settings import CommonSettings


def test_defaults_match_the_local_stack() -> None:
    s = CommonSettings()
    assert s.amqp_url == "amqp://guest:guest@127.0.0.1:5672/"
    assert s.mongodb_url == "mongodb://127.0.0.1:27017/lapor"
    assert str(s.tz) == "Asia/Jakarta"


def test_environment_overrides_with_lapor_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAPOR_SMTP_PORT", "587")
    monkeypatch.setenv("LAPOR_TIMEZONE", "Asia/Makassar")
    assert NotifySettings().smtp_port == 587
    assert str(NotifySettings().tz) == "Asia/Makassar"


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("LAPOR_TIMEZONE", "Mars/Olympus"),
        ("LAPOR_MONGODB_URL", "postgres://x"),
        ("LAPOR_AMQP_URL", "http://x"),
        ("LAPOR_SMTP_SECURITY", "ssl3"),
        ("LAPOR_PREFETCH", "0"),
    ],
)
def test_invalid_settings_fail_at_start(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ValidationError):
        NotifySettings()


def test_every_setting_is_documented_in_env_example_with_its_default() -> None:
    from pathlib import Path

    from services.intake.settings import IntakeSettings
    from services.routing.settings import RoutingSettings
    from services.sla.settings import SlaSettings

    documented = {}
    for line in (Path(__file__).parents[2] / ".env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            documented[key] = value
    for cls in (IntakeSettings, RoutingSettings, SlaSettings, NotifySettings):
        for name, field in cls.model_fields.items():
            key = f"LAPOR_{name.upper()}"
            assert key in documented, f"{key} missing from .env.example"
            default = field.get_default(call_default_factory=True)
            if isinstance(default, SecretStr):
                default = default.get_secret_value()
            shown = "" if default in (None, {}) else str(default)
            assert documented[key] == shown, f"{key}: .env.example says {documented[key]!r}"
