"""Deployment as docs/deploying.md shows it: `flask db upgrade`, then a real gunicorn
serving wsgi:app."""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import wait_until

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")


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


@pytest.mark.engines("sqlite", "postgresql")  # the mechanics, not the database
def test_a_second_master_takes_over_without_dropping_a_request(production_env, tmp_path):
    """The deploy's switch (docs/zero-downtime.md): USR2 starts a second master on the same
    socket from the `current` symlink, its workers say when they are ready, TERM lets the
    old master's workers finish; a client reading all along sees every request answered."""
    upgrade = subprocess.run(
        [sys.executable, "-m", "flask", "db", "upgrade"],
        cwd=ROOT, env=production_env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert upgrade.returncode == 0, upgrade.stderr
    current = tmp_path / "current"
    current.symlink_to(ROOT)
    pidfile, log = tmp_path / "gunicorn.pid", tmp_path / "gunicorn.log"
    port = free_port()
    env = {**production_env, "PORT": str(port), "WEB_CONCURRENCY": "2", "PWD": str(current)}
    with log.open("w") as errors:
        # The gunicorn script, not `-m gunicorn`: USR2 runs the master's command line again,
        # and gunicorn's __main__.py run as a script puts the gunicorn package's own
        # directory first on sys.path, where its http package hides the standard library's.
        old = subprocess.Popen(
            [sys.executable, GUNICORN, "--pid", str(pidfile), "wsgi:app"],
            cwd=current, env=env, stdout=subprocess.DEVNULL, stderr=errors,
        )  # fmt: skip
    statuses: list[int | str] = []
    stop = threading.Event()

    def read_all_along() -> None:
        while not stop.is_set():
            try:
                statuses.append(get(f"http://127.0.0.1:{port}/healthz")[0])
            except OSError as error:
                statuses.append(type(error).__name__)

    reader = threading.Thread(target=read_all_along)
    try:
        wait_until(lambda: ready(log, old.pid) >= 2)
        reader.start()
        old.send_signal(signal.SIGUSR2)
        new_pidfile = tmp_path / "gunicorn.pid.2"
        wait_until(lambda: new_pidfile.exists() and new_pidfile.read_text().strip())
        new_master = int(new_pidfile.read_text())
        wait_until(lambda: ready(log, new_master) >= 2)
        old.terminate()  # TERM: graceful
        old.wait(timeout=60)
        wait_until(lambda: "Master has been promoted" in log.read_text())
        time.sleep(0.5)  # the new master alone serves a while
    finally:
        stop.set()
        reader.join(30)
        old.kill()
        old.wait(timeout=30)
    try:
        assert int(pidfile.read_text()) == new_master  # promoted, it took the pid file
        assert len(statuses) > 10
        assert set(statuses) == {200}, [s for s in statuses if s != 200][:5]
    finally:
        os.kill(new_master, signal.SIGTERM)
        wait_until(lambda: not alive(new_master))


def ready(log: Path, master: int) -> int:
    """How many of `master`'s workers said they are ready (gunicorn.conf.py's hook)."""
    return log.read_text().count(f" of master {master} ready to serve")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
