"""Settings are read at start-up, so each case starts a fresh interpreter with its own environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
STRONG_KEY = "k3y-" + "x7Q9mZ2pL5vB8nR1tW4yC6dF0gH3jK" * 2
PRODUCTION = {"SECRET_KEY": STRONG_KEY, "ALLOWED_HOSTS": "films.example.org", "DEBUG": "0"}


def run_django(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"}
    }
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); from django.conf import settings; {code}"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "backoffice.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def database(**env: str) -> dict:
    result = run_django("import json; print(json.dumps(settings.DATABASES['default'], default=str))", **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_default_database_is_sqlite_with_immediate_transactions():
    db = database(DEBUG="1")
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"].endswith("data/db.sqlite3")
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_database_url_selects_postgresql():
    db = database(DEBUG="1", DATABASE_URL="postgres://staff:s3cret@db.internal:6543/films")
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["HOST"], db["PORT"], db["NAME"], db["USER"]) == ("db.internal", 6543, "films", "staff")


def test_postgresql_connections_run_without_jit_unless_asked():
    url = "postgres://staff:s3cret@db.internal:6543/films"
    assert database(DEBUG="1", DATABASE_URL=url)["OPTIONS"]["options"] == "-c jit=off"
    assert "options" not in database(DEBUG="1", DATABASE_URL=url, DATABASE_JIT="1")["OPTIONS"]


@pytest.mark.postgresql  # a PostgreSQL setting: deselected on the SQLite pass
def test_the_test_database_connection_has_jit_off(db):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_cache_is_shared_redis_when_redis_url_is_set():
    result = run_django(
        "from django.core.cache import caches; print(type(caches['default']).__name__)",
        DEBUG="1",
        REDIS_URL="redis://127.0.0.1:6379/3",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "RedisCache"
    assert run_django("print(settings.CACHES['default']['BACKEND'])", DEBUG="1").stdout.strip().endswith("LocMemCache")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ALLOWED_HOSTS": "films.example.org"}, "SECRET_KEY must be set"),
        ({"ALLOWED_HOSTS": "films.example.org", "SECRET_KEY": "short"}, "SECRET_KEY must be set"),
        (
            {"ALLOWED_HOSTS": "films.example.org", "SECRET_KEY": "django-insecure-" + "a1b2c3" * 10},
            "SECRET_KEY must be set",
        ),
        ({"SECRET_KEY": STRONG_KEY}, "ALLOWED_HOSTS must list"),
        ({**PRODUCTION, "DEBUG": "perhaps"}, "DEBUG must be one of"),
        ({**PRODUCTION, "METRICS_TOKEN": "guessable"}, "METRICS_TOKEN must be at least 32 random characters"),
    ],
)
def test_production_refuses_to_start_without_a_real_key_and_hosts(env, message):
    result = run_django("print('started')", **env)
    assert result.returncode != 0
    assert message in result.stderr
    assert "started" not in result.stdout


def test_production_settings_are_strict():
    result = run_django(
        "print(settings.DEBUG, settings.SECURE_SSL_REDIRECT, settings.SESSION_COOKIE_SECURE, settings.ALLOWED_HOSTS)",
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False True True ['films.example.org']"


def check_deploy(**env: str) -> None:
    """``manage.py check --deploy`` in production, with no warning. Not with this process's
    DJANGO_ALLOW_ASYNC_UNSAFE, which a browser test run earlier in it sets (tests/browser/conftest.py)."""
    ours = {"DEBUG", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in ours}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**clean, **PRODUCTION, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_is_clean_in_production():
    check_deploy()


def test_redis_cache_gives_up_within_a_quarter_second():
    result = run_django(
        "import json; print(json.dumps(settings.CACHES['default'].get('OPTIONS', {})))",
        DEBUG="1",
        REDIS_URL="redis://127.0.0.1:6379/3",
    )
    assert result.returncode == 0, result.stderr
    options = json.loads(result.stdout)
    assert 0 < options.get("socket_connect_timeout", 0) <= 0.25
    assert 0 < options.get("socket_timeout", 0) <= 0.25


def hsts(**env: str) -> str:
    result = run_django("print(settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_PRELOAD)", **PRODUCTION, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_hsts_preload_is_a_deliberate_choice():
    assert hsts() == "31536000 False"
    assert hsts(SECURE_HSTS_PRELOAD="1") == "31536000 True"


def test_check_deploy_is_clean_with_hsts_preload_on():
    check_deploy(SECURE_HSTS_PRELOAD="1")


def test_the_second_factor_cannot_be_turned_off_in_production():
    result = run_django("print(settings.OTP_REQUIRED)", **PRODUCTION, OTP_REQUIRED="0")
    assert result.returncode != 0
    assert "OTP_REQUIRED can be turned off only with DEBUG=1" in result.stderr
    assert run_django("print(settings.OTP_REQUIRED)", **PRODUCTION).stdout.strip() == "True"
    assert run_django("print(settings.OTP_REQUIRED)", DEBUG="1", OTP_REQUIRED="0").stdout.strip() == "False"


def test_staff_sessions_last_twelve_hours_unless_told_otherwise():
    assert run_django("print(settings.SESSION_COOKIE_AGE)", **PRODUCTION).stdout.strip() == "43200"
    assert (
        run_django("print(settings.SESSION_COOKIE_AGE)", **PRODUCTION, SESSION_COOKIE_AGE="3600").stdout.strip()
        == "3600"
    )


def test_a_command_without_debug_or_a_key_says_what_to_set_in_one_line():
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "generate_access_codes", "10"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("manage.py: SECRET_KEY must be set")
    assert "DEBUG=1 python manage.py <command>" in lines[0]
