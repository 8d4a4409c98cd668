"""Error pages: the right status, HTML or JSON, never a bare 500."""

import pytest
from sqlalchemy import select

from blog.extensions import db
from blog.models import Category
from blog.web.errors import DATABASE_UNAVAILABLE
from tests.databases import dispose
from tests.databases import make_app


def test_404_is_an_html_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "<h1>404 Not Found</h1>" in response.text


def test_errors_are_json_for_clients_that_ask(client):
    response = client.get("/posts/12345", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json == {"error": {"status": 404, "message": "No such post."}}


def test_405_keeps_its_allow_header(client):
    response = client.delete("/posts/")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


@pytest.mark.usefixtures("author")
def test_a_body_over_the_limit_is_a_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/posts/new", data={"title": "t", "body": "x" * 2000})
    assert response.status_code == 413


@pytest.fixture
def failing_app(app):
    """The app with one route that adds a row and then fails."""

    def fail():
        db.session.add(Category(name="half-done"))
        db.session.flush()
        raise RuntimeError("boom")

    app.add_url_rule("/fail", view_func=fail)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def test_an_unexpected_error_is_a_500_page_and_is_rolled_back(failing_app, caplog):
    response = failing_app.test_client().get("/fail")
    assert response.status_code == 500
    assert "<h1>500 Internal Server Error</h1>" in response.text
    assert "boom" not in response.text
    assert "RuntimeError: boom" in caplog.text
    with failing_app.app_context():
        assert db.session.scalars(select(Category)).all() == []


def test_a_database_out_of_reach_is_a_503_that_asks_to_come_back(tmp_path, caplog):
    app = make_app(f"sqlite:///{tmp_path / 'no-such-folder' / 'blog.db'}")
    try:
        page = app.test_client().get("/posts/")
        api = app.test_client().get("/api/posts")
    finally:
        dispose(app)
    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    assert "<h1>503 Service Unavailable</h1>" in page.text and "Try again" in page.text
    assert "no-such-folder" not in page.text
    assert api.status_code == 503
    assert api.json == {"error": {"status": 503, "message": DATABASE_UNAVAILABLE}}
    assert "Database unavailable on /posts/ [GET]" in caplog.text
    assert "OperationalError" in caplog.text
