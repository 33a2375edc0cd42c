"""The project as a whole: the CLI's contract, the site's settings and its health."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], capture_output=True, text=True, cwd=ROOT)


def _verbs() -> list[str]:
    """The verbs the CLI registers, one per module of VERB_MODULES (a module's verb need not be its folder's name:
    pipeline.intake registers `shot`)."""
    from pipeline.cli import VERB_MODULES, build_parser

    subparsers = next(a for a in build_parser()._actions if a.dest == "verb")
    assert len(subparsers.choices) == len(VERB_MODULES)
    return list(subparsers.choices)


def test_help_lists_every_verb():
    result = run_cli("--help")
    assert result.returncode == 0
    for verb in _verbs():
        assert verb in result.stdout


@pytest.mark.parametrize("verb", _verbs())
def test_each_verb_has_help(verb):
    result = run_cli(verb, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: facereplace " + verb in result.stdout


def test_user_errors_have_no_traceback_unless_debug(tmp_path):
    missing = tmp_path / "nothing-here.mov"
    result = run_cli("media", "probe", str(missing))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert str(missing) in result.stderr
    debug = run_cli("media", "probe", str(missing), "--debug")
    assert debug.returncode != 0 and "Traceback" in debug.stderr


def test_embedded_default_generates_a_local_secret(tmp_path):
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    env = {**os.environ, "FACEREPLACE_HOME": str(tmp_path), "DJANGO_SETTINGS_MODULE": "facereplace_site.settings"}
    env.pop("SECRET_KEY", None)
    first = subprocess.run([sys.executable, "-c", "import django; django.setup(); " + code], env=env,
                           capture_output=True, text=True, cwd=ROOT, check=True).stdout.strip()
    second = subprocess.run([sys.executable, "-c", "import django; django.setup(); " + code], env=env,
                            capture_output=True, text=True, cwd=ROOT, check=True).stdout.strip()
    assert len(first) > 40 and first == second
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_settings_follow_the_environment(tmp_path):
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.DATABASES['default']['ENGINE'], s.CHANNEL_LAYERS['default']['BACKEND'], s.MEDIA_ROOT, "
            "s.DEBUG, s.ALLOWED_HOSTS, s.SECRET_KEY)")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "facereplace_site.settings", "FACEREPLACE_HOME": str(tmp_path),
           "DATABASE_URL": "postgres://u:p@127.0.0.1:5432/db", "REDIS_URL": "redis://127.0.0.1:6379/0",
           "MEDIA_ROOT": str(tmp_path / "m"), "SECRET_KEY": "s3cret", "DEBUG": "1", "ALLOWED_HOSTS": "review.example"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert "postgresql" in out and "RedisChannelLayer" in out and str(tmp_path / "m") in out
    assert "True ['review.example'] s3cret" in out


def test_file_database_is_in_wal_mode(tmp_path):
    code = ("import django; django.setup(); from django.db import connection; c = connection.cursor(); "
            "c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "facereplace_site.settings", "FACEREPLACE_HOME": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "wal"


def test_health(client, db):
    response = client.get("/health/")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
