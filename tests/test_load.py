"""Under load: gunicorn, 32 clients reading posts for 10 seconds, on SQLite and PostgreSQL.
No 5xx, no connection errors, and not one read lost: the read counts add up to exactly
the pages served."""

import http.client
import random
import threading
import time
from collections import Counter

import pytest

from blog.models import Post
from tests.databases import dispose
from tests.helpers import serve
from tests.helpers import stop
from tests.history import run_sql

pytestmark = pytest.mark.engines("sqlite", "postgresql")

CLIENTS = 32
SECONDS = 10


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
        stop(server, reader)

    served = statuses[200]
    assert errors == []
    assert set(statuses) == {200}, (statuses, "".join(log)[-3000:])
    assert served > CLIENTS  # the load really ran
    [(reads,)] = run_sql(app, "SELECT SUM(read_count) FROM posts")
    assert reads == served
