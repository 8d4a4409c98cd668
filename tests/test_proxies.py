"""Client addresses behind a proxy: X-Forwarded-For counts only from a trusted proxy.
Seen through the sign-in rate limit, which counts per client address."""

import pytest

from config import trusted_proxies
from tests.databases import dispose
from tests.databases import make_app


def sign_in_page_post(app, peer: str, forwarded_for: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    response = app.test_client().post(
        "/auth/sign-in",
        data={"name": "nobody", "password": "not the password"},
        headers=headers,
        environ_base={"REMOTE_ADDR": peer},
    )
    return response.status_code


@pytest.fixture
def behind_proxy(app):
    """The app behind a proxy at 127.0.0.1, one sign-in a minute per client address."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    proxied = make_app(url, TRUSTED_PROXIES=trusted_proxies("127.0.0.1"))
    proxied.config["SIGN_IN_RATE_LIMIT"] = "1 per minute"
    yield proxied
    dispose(proxied)


@pytest.mark.options(SIGN_IN_RATE_LIMIT="1 per minute")
def test_by_default_a_forwarded_address_changes_nothing(app):
    assert sign_in_page_post(app, "127.0.0.1", "127.0.0.5") == 422
    assert sign_in_page_post(app, "127.0.0.1", "127.0.0.6") == 429


def test_a_trusted_proxy_names_the_client(behind_proxy):
    assert sign_in_page_post(behind_proxy, "127.0.0.1", "127.0.0.5") == 422
    assert sign_in_page_post(behind_proxy, "127.0.0.1", "127.0.0.6") == 422
    assert sign_in_page_post(behind_proxy, "127.0.0.1", "127.0.0.5") == 429
    # A client that claims to forward for others is one more hop: the proxy's last entry.
    assert sign_in_page_post(behind_proxy, "127.0.0.1", "127.0.0.9, 127.0.0.6") == 429


def test_anyone_else_forging_the_header_is_counted_as_themselves(behind_proxy):
    assert sign_in_page_post(behind_proxy, "127.0.0.7", "127.0.0.5") == 422
    assert sign_in_page_post(behind_proxy, "127.0.0.7", "127.0.0.6") == 429
    assert sign_in_page_post(behind_proxy, "127.0.0.1", "127.0.0.7") == 429
    assert sign_in_page_post(behind_proxy, "127.0.0.1", "127.0.0.8") == 422


def test_a_proxy_seen_through_an_ipv6_socket_is_still_trusted(behind_proxy):
    assert sign_in_page_post(behind_proxy, "::ffff:127.0.0.1", "127.0.0.5") == 422
    assert sign_in_page_post(behind_proxy, "::ffff:127.0.0.1", "127.0.0.6") == 422
    assert sign_in_page_post(behind_proxy, "127.0.0.1", "127.0.0.5") == 429
