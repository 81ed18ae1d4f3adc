"""Settings are validated once, with no insecure fallback in production."""

from __future__ import annotations

import pytest

from app.config import ConfigError, Settings


def test_production_requires_a_secret_key():
    with pytest.raises(ConfigError, match="ACADEMY_SECRET_KEY"):
        Settings.from_env({"ACADEMY_ENV": "production"})


def test_unknown_environment_is_refused():
    with pytest.raises(ConfigError, match="ACADEMY_ENV"):
        Settings.from_env({"ACADEMY_ENV": "staging"})


def test_postgres_urls_use_psycopg():
    settings = Settings.from_env(
        {"ACADEMY_ENV": "test", "ACADEMY_DATABASE_URL": "postgresql://u:p@db:5432/academy"}
    )
    assert settings.database_url == "postgresql+psycopg://u:p@db:5432/academy"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ACADEMY_SANDBOX_POOL_SIZE", "many", "whole number"),
        ("ACADEMY_SANDBOX_MEMORY_MB", "64", "at least 128"),
        ("ACADEMY_SANDBOX_ALLOW_OUTBOUND", "perhaps", "true or false"),
        ("ACADEMY_DATABASE_URL", "mysql://x", "sqlite: or postgresql:"),
    ],
)
def test_malformed_settings_name_the_variable(name, value, message):
    with pytest.raises(ConfigError, match=message) as error:
        Settings.from_env({"ACADEMY_ENV": "test", name: value})
    assert name.split("_")[0] in str(error.value)
