"""Security headers, session cookies, and no debug mode in production."""

import pytest

from config import ConfigError
from config import get_config

# Headers do not depend on the database engine: SQLite is enough.
pytestmark = pytest.mark.engines("sqlite")

PRODUCTION = {"SECRET_KEY": "k", "DATABASE_URL": "sqlite:///p.db"}


@pytest.mark.parametrize("url", ["/", "/posts/new", "/healthz", "/no/such/page"])
@pytest.mark.usefixtures("author")  # so /posts/new is the form, not a redirect to sign in
def test_every_response_has_the_security_headers(client, url):
    headers = client.get(url).headers
    policy = headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "img-src 'self' https:;" in policy  # images in posts: https only
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


@pytest.mark.usefixtures("author")  # the form, and the header's sign-out form
def test_pages_have_no_inline_script_or_style(client):
    response = client.get("/posts/new")
    assert response.status_code == 200
    page = response.text
    assert "<script" not in page and "style=" not in page and "<style" not in page


def test_production_session_cookies_are_secure_httponly_and_samesite():
    config = get_config("production", environ=PRODUCTION)
    assert config.SESSION_COOKIE_SECURE is True
    assert config.SESSION_COOKIE_HTTPONLY is True
    assert config.SESSION_COOKIE_SAMESITE == "Lax"
    assert config.DEBUG is False


@pytest.mark.parametrize("value", ["1", "true", "on"])
def test_production_refuses_debug_mode(value):
    with pytest.raises(ConfigError, match="FLASK_DEBUG is set: debug mode is never allowed"):
        get_config("production", environ={**PRODUCTION, "FLASK_DEBUG": value})


def test_debug_mode_stays_available_in_development():
    assert get_config("development", environ={"FLASK_DEBUG": "1"}).name == "development"
