"""Under load: gunicorn, 32 clients reading posts for 10 seconds, on SQLite and PostgreSQL.
No 5xx, no connection errors, and not one read lost: the read counts add up to exactly
the pages served."""

import http.client
import os
import random
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from blog.models import Post
from tests.databases import dispose
from tests.history import run_sql

pytestmark = pytest.mark.engines("sqlite", "postgresql")

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 32
SECONDS = 10


def serve(database_url: str) -> tuple[subprocess.Popen, int, list[str], threading.Thread]:
    """gunicorn with two workers on a free loopback port; its stderr is read into a list
    by a thread, which ends when gunicorn does."""
    env = {
        **os.environ,
        "BLOG_CONFIG": "production",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "load-test-secret",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", "127.0.0.1:0", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    log: list[str] = []
    for line in server.stderr:
        log.append(line)
        if match := re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", line):
            break
    else:
        pytest.fail("gunicorn exited before listening:\n" + "".join(log))
    reader = threading.Thread(target=lambda: log.extend(server.stderr), daemon=True)
    reader.start()
    return server, int(match.group(1)), log, reader


def test_thirty_two_clients_get_no_errors_and_lose_no_read(app, save):
    save(*(Post(title=f"Post {i}", body="Body " * 50) for i in range(50)))
    slugs = [f"post-{i}" for i in range(50)]
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    dispose(app)
    server, port, log, reader = serve(url)
    statuses: Counter = Counter()
    errors: list[str] = []
    deadline = time.monotonic() + SECONDS

    def client() -> None:
        rng = random.Random()
        while time.monotonic() < deadline:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                connection.request("GET", f"/posts/{rng.choice(slugs)}")
                response = connection.getresponse()
                response.read()
                statuses[response.status] += 1
            except OSError as error:  # refused, reset, timed out
                errors.append(repr(error))
            finally:
                connection.close()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(SECONDS + 60)
    finally:
        server.terminate()
        server.wait(timeout=30)
        reader.join(timeout=30)
        server.stderr.close()

    served = statuses[200]
    assert errors == []
    assert set(statuses) == {200}, (statuses, "".join(log)[-3000:])
    assert served > CLIENTS  # the load really ran
    [(reads,)] = run_sql(app, "SELECT SUM(read_count) FROM posts")
    assert reads == served
