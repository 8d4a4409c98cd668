"""Deployment as the README shows it: `flask db upgrade`, then a real gunicorn serving wsgi:app."""

import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def production_env(empty_database) -> dict[str, str]:
    """Production settings on an empty database of each engine."""
    return {
        **os.environ,
        "BLOG_CONFIG": "production",
        "DATABASE_URL": empty_database.render_as_string(hide_password=False),
        "SECRET_KEY": "a-long-random-secret-for-this-test",
    }


@pytest.fixture
def gunicorn(production_env):
    """Migrate the production database, then serve it with gunicorn; yields the base URL."""
    upgrade = subprocess.run(
        [sys.executable, "-m", "flask", "db", "upgrade"],
        cwd=ROOT,
        env=production_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert upgrade.returncode == 0, upgrade.stderr
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:0", "--workers", "1", "wsgi:app"],
        cwd=ROOT,
        env=production_env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for line in server.stderr:
            if match := re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", line):
                break
        else:
            pytest.fail("gunicorn exited before listening")
        yield match.group(1)
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stderr.close()


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_gunicorn_serves_the_migrated_production_database(gunicorn):
    status, page = get(f"{gunicorn}/")
    assert status == 200
    assert "No posts yet." in page
    assert get(f"{gunicorn}/categories/")[0] == 200
    status, page = get(f"{gunicorn}/posts/1")
    assert status == 404
    assert "404 Not Found" in page
