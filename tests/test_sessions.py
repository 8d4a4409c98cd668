"""Sessions: a visitor with no session cookie costs no signing; a signed cookie is read,
and a forged one is not."""

from blog.web.sessions import CookieSessions
from tests.helpers import functions_run
from tests.helpers import sign_in


def test_the_app_uses_the_blogs_session_interface(app):
    assert isinstance(app.session_interface, CookieSessions)


def test_a_visitor_without_a_session_cookie_costs_no_signing(client):
    client.get("/posts/")  # compiles the templates, which signs nothing either
    assert functions_run("itsdangerous", lambda: client.get("/posts/")) == set()


def test_a_signed_in_author_is_read_from_the_cookie(client, make_user):
    sign_in(client, make_user("ada"))
    ran = functions_run("itsdangerous", lambda: client.get("/posts/new"))
    assert "loads" in ran
    assert client.get("/posts/new").status_code == 200


def test_a_forged_session_cookie_signs_no_one_in(app, client, make_user):
    make_user("ada")
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], "eyJfdXNlcl9pZCI6IjEifQ.forged.sig")
    response = client.get("/posts/new")
    assert response.status_code == 302
    assert "/auth/sign-in" in response.headers["Location"]
