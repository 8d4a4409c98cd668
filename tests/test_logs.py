"""One log line per request, with a request id that the response carries too."""

import io
import logging
import re

import pytest

from blog.web.logs import ACCESS_LOG

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


def test_a_path_cannot_forge_a_log_line(client, access_lines):
    client.get("/posts/x%0A2026-01-01T00:00:00+0000 GET /admin 200 1.0ms request_id=forged")
    [line] = access_lines
    assert "\n" not in line
    assert "/posts/x\\x0a2026" in line


def test_errors_go_to_stderr_with_their_traceback_and_request_id(app):
    def fail():
        raise RuntimeError("boom")

    app.add_url_rule("/fail", view_func=fail)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    [handler] = [h for h in app.logger.handlers if h.formatter]
    stream, handler.stream = handler.stream, io.StringIO()
    try:
        response = app.test_client().get("/fail", headers={"X-Request-ID": "req-7"})
        written = handler.stream.getvalue()
    finally:
        handler.stream = stream
    assert response.status_code == 500
    assert "ERROR blog request_id=req-7 Exception on /fail [GET]" in written
    assert "RuntimeError: boom" in written and "Traceback" in written
