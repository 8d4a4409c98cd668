"""Rate limits: signing in, failed sign-ins (per name and address, per address, per name),
and writes; the 429 a client gets; the limits held in Redis, shared by every app that
counts there, and what happens while Redis is out of reach."""

import http.client
import logging
import socket

import pytest
from flask import Flask

from blog import create_app
from blog.models import Category
from blog.web import rate_limits
from tests.databases import dispose
from tests.databases import make_app
from tests.helpers import PASSWORD
from tests.helpers import api_document
from tests.helpers import basic
from tests.helpers import count
from tests.helpers import functions_run
from tests.helpers import serve
from tests.helpers import stop

WRONG = "not the password"


def sign_in_from(app: Flask, address: str, name: str, password: str = WRONG):
    """A sign-in through the page, from a new browser at `address`."""
    return app.test_client().post(
        "/auth/sign-in",
        data={"name": name, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def token_from(app: Flask, address: str, name: str, password: str = WRONG):
    """POST /api/tokens from `address`."""
    return app.test_client().post(
        "/api/tokens", headers=basic(name, password), environ_base={"REMOTE_ADDR": address}
    )


@pytest.mark.options(SIGN_IN_FAILURES_PER_NAME_AND_ADDRESS="3 per 10 minutes")
def test_a_flood_of_failures_locks_the_name_only_at_its_address(app, make_user):
    make_user("ada")
    for _ in range(3):
        assert sign_in_from(app, "127.0.0.7", "ada").status_code == 422
    refused = sign_in_from(app, "127.0.0.7", "Ada", PASSWORD)  # a name counts in any case
    assert refused.status_code == 429
    assert "Too many failed sign-ins for this name from your address" in refused.text
    assert "Try again in 10 minutes." in refused.text
    assert 590 <= int(refused.headers["Retry-After"]) <= 600
    # The author, anywhere else, signs in; and the flood's address may try other names.
    assert sign_in_from(app, "127.0.0.8", "ada", PASSWORD).status_code == 302
    assert sign_in_from(app, "127.0.0.7", "bea").status_code == 422


@pytest.mark.options(SIGN_IN_FAILURES_PER_ADDRESS="3 per hour")
def test_failures_for_any_names_count_per_address(app, make_user):
    make_user("ada")
    # Unknown names count like wrong passwords, so the limit tells no one which exist.
    for name in ("nobody", "ada", "nemo"):
        assert sign_in_from(app, "127.0.0.7", name).status_code == 422
    refused = sign_in_from(app, "127.0.0.7", "someone")
    assert refused.status_code == 429
    assert "Too many failed sign-ins from your address." in refused.text
    assert sign_in_from(app, "127.0.0.8", "ada", PASSWORD).status_code == 302


@pytest.mark.options(SIGN_IN_FAILURES_PER_NAME="3 per hour; 100 per day")
def test_a_guess_spread_over_many_addresses_is_slowed(app, make_user):
    make_user("ada")
    for address in ("127.0.0.5", "127.0.0.6", "127.0.0.7"):
        assert sign_in_from(app, address, "ada").status_code == 422
    refused = sign_in_from(app, "127.0.0.8", "ada", PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed sign-ins for this name." in refused.text
    assert sign_in_from(app, "127.0.0.8", "bea").status_code == 422


@pytest.mark.options(SIGN_IN_FAILURES_PER_NAME="3 per 15 minutes; 3 per day")
def test_the_browser_an_author_signed_in_from_is_never_held_back_by_others(app, make_user):
    account = make_user("ada")
    browser = app.test_client()
    here = {"REMOTE_ADDR": "127.0.0.9"}
    assert browser.post("/auth/sign-in", data={"name": "ada", "password": PASSWORD},
                        environ_base=here).status_code == 302  # fmt: skip
    browser.post("/auth/sign-out", environ_base=here)
    for address in ("127.0.0.5", "127.0.0.6", "127.0.0.7"):
        assert sign_in_from(app, address, "ada").status_code == 422
    refused = sign_in_from(app, "127.0.0.9", "ada", PASSWORD)  # another browser
    assert refused.status_code == 429
    # Over both tiers: told to wait for the day's, not the quarter of an hour's.
    assert int(refused.headers["Retry-After"]) > 15 * 60
    again = browser.post(
        "/auth/sign-in", data={"name": account.name, "password": PASSWORD}, environ_base=here
    )
    assert again.status_code == 302


@pytest.mark.options(SIGN_IN_FAILURES_PER_NAME="2 per hour")
def test_a_forged_known_name_cookie_changes_nothing(app, make_user):
    make_user("ada")
    for address in ("127.0.0.5", "127.0.0.6"):
        assert sign_in_from(app, address, "ada").status_code == 422
    browser = app.test_client()
    browser.set_cookie(rate_limits.KNOWN_NAME_COOKIE, "ada")
    response = browser.post("/auth/sign-in", data={"name": "ada", "password": PASSWORD})
    assert response.status_code == 429


@pytest.mark.options(SIGN_IN_FAILURES_PER_NAME_AND_ADDRESS="2 per hour")
def test_the_page_counts_the_forms_name_whatever_else_is_sent(app, make_user):
    make_user("ada")
    for other in ("x1", "x2"):
        response = app.test_client().post(
            "/auth/sign-in",
            data={"name": "ada", "password": WRONG},
            headers=basic(other, WRONG),
            environ_base={"REMOTE_ADDR": "127.0.0.7"},
        )
        assert response.status_code == 422
    assert sign_in_from(app, "127.0.0.7", "ada", PASSWORD).status_code == 429


@pytest.mark.options(SIGN_IN_FAILURES_PER_NAME_AND_ADDRESS="2 per hour")
def test_only_a_wrong_password_counts_as_a_failure(app, make_user):
    account = make_user("ada")
    for _ in range(3):  # a form without a password is never checked
        assert sign_in_from(app, "127.0.0.7", "ada", "").status_code == 422
        assert sign_in_from(app, "127.0.0.7", "ada", account.password).status_code == 302
    assert sign_in_from(app, "127.0.0.7", "ada").status_code == 422


@pytest.mark.options(SIGN_IN_RATE_LIMIT="3 per minute")
def test_the_page_and_the_api_share_the_sign_in_rate(app, make_user):
    make_user("ada")
    assert sign_in_from(app, "127.0.0.7", "ada", PASSWORD).status_code == 302
    assert token_from(app, "127.0.0.7", "ada", PASSWORD).status_code == 201
    assert sign_in_from(app, "127.0.0.7", "ada").status_code == 422
    refused = token_from(app, "127.0.0.7", "ada", PASSWORD)
    assert refused.status_code == 429
    error = refused.json["error"]
    assert error["status"] == 429
    assert error["message"].startswith("Too many sign-ins from your address. Try again in ")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # The form itself is still served, and other addresses sign in.
    page = app.test_client().get("/auth/sign-in", environ_base={"REMOTE_ADDR": "127.0.0.7"})
    assert page.status_code == 200
    assert token_from(app, "127.0.0.8", "ada", PASSWORD).status_code == 201


@pytest.mark.options(SIGN_IN_FAILURES_PER_NAME_AND_ADDRESS="2 per hour")
def test_the_api_counts_failures_like_the_page(app, make_user):
    make_user("ada")
    assert token_from(app, "127.0.0.7", "ada").status_code == 401
    assert sign_in_from(app, "127.0.0.7", "ada").status_code == 422
    assert token_from(app, "127.0.0.7", "ada", PASSWORD).status_code == 429
    assert token_from(app, "127.0.0.8", "ada", PASSWORD).status_code == 201


@pytest.mark.options(WRITE_RATE_LIMIT="2 per minute")
def test_writes_are_limited_per_address_and_reads_are_not(app, client, author):
    for name in ("One", "Two"):
        assert client.post("/categories/new", data={"name": name}).status_code == 302
    refused = client.post("/categories/new", data={"name": "Three"})
    assert refused.status_code == 429
    assert "Too many changes from your address." in refused.text
    assert "Retry-After" in refused.headers
    assert refused.content_type.startswith("text/html")
    assert client.get("/categories/").status_code == 200
    assert count(app, Category) == 2


def test_a_read_runs_no_rate_limit_code_and_a_write_does(client, author):
    written = []
    write = lambda: written.append(client.post("/posts/new", data={"title": "Hi", "body": "."}))  # noqa: E731
    assert "_check_request_limit" in functions_run("flask_limiter", write)
    post_url = written[0].headers["Location"]
    client.get(post_url)  # the test client tears the write's request down at the next one
    assert functions_run("flask_limiter", lambda: client.get(post_url)) == set()
    assert functions_run("flask_limiter", lambda: client.head("/categories/")) == set()


@pytest.mark.options(WRITE_RATE_LIMIT="1 per minute")
def test_the_api_writes_share_the_limit_with_the_pages(app, client, author):
    token = token_from(app, "127.0.0.1", "ada", PASSWORD).json["token"]
    assert client.post("/categories/new", data={"name": "One"}).status_code == 302
    refused = client.post(
        "/api/categories", json={"name": "Two"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert refused.status_code == 429
    assert refused.json["error"]["message"].startswith("Too many changes from your address.")
    assert count(app, Category) == 1


def test_the_document_lists_429_where_a_limit_applies():
    paths = api_document()["paths"]
    assert "429" in paths["/api/tokens"]["post"]["responses"]
    assert "429" in paths["/api/tokens"]["delete"]["responses"]
    assert "429" in paths["/api/categories"]["post"]["responses"]
    assert "429" not in paths["/api/categories"]["get"]["responses"]


@pytest.mark.parametrize(
    ("peer", "counted_as"),
    [
        ("127.0.0.9", "127.0.0.9"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("::ffff:127.0.0.9", "127.0.0.9"),
        ("not an address", "-"),
    ],
)
def test_a_client_counts_by_its_address_or_its_ipv6_block(app, peer, counted_as):
    with app.test_request_context(environ_base={"REMOTE_ADDR": peer}):
        assert rate_limits.client_address() == counted_as


# Redis: what production counts in.


def redis_app(database_url: str, storage_uri: str, **overrides: object) -> Flask:
    return make_app(database_url, RATELIMIT_STORAGE_URI=storage_uri, **overrides)


def token_over_http(port: int, address: str, name: str, password: str, forwarded_for=None):
    """POST /api/tokens to a live server, from `address` (any of 127.0.0.0/8 is this
    machine), perhaps claiming to forward for another; the status."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=30, source_address=(address, 0)
    )
    headers = basic(name, password)
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    try:
        connection.request("POST", "/api/tokens", headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


@pytest.mark.engines("sqlite")
def test_two_servers_share_the_limits_in_redis(app, make_user, redis_url):
    """Two gunicorn servers (two workers each) counting in one Redis, behind a proxy at
    127.0.0.1 (TRUSTED_PROXIES): the defaults' 5 failures per name and address."""
    make_user("ada")
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    dispose(app)
    environ = {"RATELIMIT_STORAGE_URI": redis_url, "TRUSTED_PROXIES": "127.0.0.1"}
    servers = [serve(url, **environ), serve(url, **environ)]
    (_, first_port, log, _), (_, second_port, _, _) = servers
    try:
        for port in (first_port, second_port, first_port, second_port, first_port):
            assert token_over_http(port, "127.0.0.7", "ada", WRONG) == 401
        # Locked at that address on both servers, whatever the address claims to forward.
        assert token_over_http(second_port, "127.0.0.7", "ada", PASSWORD) == 429
        assert token_over_http(first_port, "127.0.0.7", "ada", PASSWORD, "127.0.0.9") == 429
        # Through the proxy, the address it forwards for counts.
        assert token_over_http(first_port, "127.0.0.1", "ada", PASSWORD, "127.0.0.7") == 429
        assert token_over_http(second_port, "127.0.0.1", "ada", PASSWORD, "127.0.0.9") == 201
        # The author, from another address, straight to either server.
        assert token_over_http(second_port, "127.0.0.8", "ada", PASSWORD) == 201
        assert token_over_http(first_port, "127.0.0.8", "ada", PASSWORD) == 201
    finally:
        for server, _, _, reader in servers:
            stop(server, reader)
    assert "RATELIMIT_STORAGE_URI is not set" not in "".join(log)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then let go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_without_redis_reads_serve_and_sign_in_is_limited_per_worker(app, make_user, caplog):
    make_user("ada")
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    unreachable = f"redis://127.0.0.1:{closed_port()}/0"
    down = redis_app(url, unreachable, SIGN_IN_FAILURES_PER_NAME_AND_ADDRESS="2 per hour")
    caplog.set_level(logging.INFO, logger="flask-limiter")
    try:
        assert down.test_client().get("/").status_code == 200
        assert sign_in_from(down, "127.0.0.7", "ada").status_code == 422
        assert sign_in_from(down, "127.0.0.7", "ada").status_code == 422
        assert sign_in_from(down, "127.0.0.7", "ada", PASSWORD).status_code == 429
        assert sign_in_from(down, "127.0.0.8", "ada", PASSWORD).status_code == 302
        assert down.test_client().get("/categories/").status_code == 200
    finally:
        dispose(down)
        rate_limits.limiter._storage_dead = False  # the next app counts in its own store
    lost = [r for r in caplog.records if "storage unreachable" in r.getMessage()]
    assert len(lost) == 1
    assert lost[0].levelno == logging.WARNING


@pytest.mark.parametrize(("storage", "warned"), [("", True), ("redis://127.0.0.1:1/0", False)])
def test_production_says_when_each_worker_counts_alone(monkeypatch, caplog, storage, warned):
    for name, value in {"SECRET_KEY": "k", "DATABASE_URL": "sqlite://"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", storage)
    with caplog.at_level(logging.WARNING, logger="blog"):
        rate_limits.warn_if_each_worker_counts_alone(create_app("production", commands=False))
    assert ("RATELIMIT_STORAGE_URI is not set" in caplog.text) is warned


@pytest.mark.options(SIGN_IN_FAILURES_PER_NAME="2 per hour; 100 per day")
def test_flask_users_unlock_lifts_the_per_name_limit(app, make_user, runner):
    make_user("ada")
    for address in ("127.0.0.5", "127.0.0.6"):
        assert sign_in_from(app, address, "ada").status_code == 422
    assert sign_in_from(app, "127.0.0.8", "ada", PASSWORD).status_code == 429
    result = runner.invoke(args=["users", "unlock", "ADA"])
    assert result.exit_code == 0, result.output
    assert result.output == "ada may sign in again from anywhere.\n"
    assert sign_in_from(app, "127.0.0.8", "ada", PASSWORD).status_code == 302
    missing = runner.invoke(args=["users", "unlock", "nobody"])
    assert missing.exit_code == 1
    assert missing.output == "Error: No user called 'nobody'.\n"
