"""One log line per request, with a request id that the response carries too."""

import logging
import re

import pytest

from blog.logs import ACCESS_LOG

# Logging does not depend on the database engine: SQLite is enough.
pytestmark = pytest.mark.engines("sqlite")


@pytest.fixture
def access_lines():
    """The access log's messages, as the app writes them."""
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())
    ACCESS_LOG.addHandler(handler)
    yield lines
    ACCESS_LOG.removeHandler(handler)


def test_one_line_per_request_with_method_path_status_duration_and_id(client, access_lines):
    response = client.get("/posts/12345?secret=ignored")
    request_id = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    [line] = access_lines
    assert re.fullmatch(rf"GET /posts/12345 404 \d+\.\dms request_id={request_id}", line)


def test_a_request_id_from_the_proxy_is_kept_and_a_strange_one_replaced(client, access_lines):
    kept = client.get("/healthz", headers={"X-Request-ID": "edge-42.abc"})
    assert kept.headers["X-Request-ID"] == "edge-42.abc"
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["X-Request-ID"])
    assert access_lines[1].endswith(replaced.headers["X-Request-ID"])


def test_requests_refused_before_the_view_are_logged_too(app, client, access_lines):
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/posts/new", data={"title": "t", "body": "b"}).status_code == 400
    assert re.match(r"POST /posts/new 400 ", access_lines[0])


def test_errors_are_logged_with_their_traceback(app, caplog):
    def fail():
        raise RuntimeError("boom")

    app.add_url_rule("/fail", view_func=fail)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert app.test_client().get("/fail").status_code == 500
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.exc_info and "RuntimeError: boom" in caplog.text
