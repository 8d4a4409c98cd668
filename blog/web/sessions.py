"""Sessions: Flask's signed cookies, without the signing for a visitor who sent none."""

from flask import Flask
from flask import Request
from flask.sessions import SecureCookieSession
from flask.sessions import SecureCookieSessionInterface


class CookieSessions(SecureCookieSessionInterface):
    """Flask's own sessions. Flask builds the cookie's signer at every request, even when
    there is no cookie to check: most page views are a visitor's, who has none, and the
    signer cost a post page 3% of its time (docs/benchmarks.md)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def register_sessions(app: Flask) -> None:
    app.session_interface = CookieSessions()
