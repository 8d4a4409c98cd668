"""/api/tokens: POST (HTTP Basic) makes a bearer token, DELETE revokes the one sent; and
`token_required`, for the routes that write (blog.auth.tokens keeps the tokens)."""

from collections.abc import Callable
from functools import wraps
from typing import Any
from typing import TypeVar

from flask import Response
from flask import g
from flask import request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from blog.api import schemas
from blog.api.blueprint import bp
from blog.auth import accounts
from blog.auth import tokens
from blog.extensions import db
from blog.models import ApiToken
from blog.models import User
from blog.web.rate_limits import limit_sign_in

BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
F = TypeVar("F", bound=Callable[..., Any])


def unauthorized(scheme: str, message: str) -> Unauthorized:
    """A 401 whose WWW-Authenticate names the scheme to use."""
    return Unauthorized(message, www_authenticate=WWWAuthenticate(scheme, {"realm": "blog"}))


@bp.post("/tokens")
@bp.doc(security=[{"basicAuth": []}])
@bp.response(201, schemas.Token)
@bp.errors(401, 429)
@limit_sign_in
def create_token() -> dict[str, Any]:
    """A bearer token, for your name and password (HTTP Basic)"""
    credentials = request.authorization
    if credentials is None or credentials.type != "basic":
        raise unauthorized("Basic", "Send your name and password with HTTP Basic auth.")
    user = accounts.authenticate(credentials.username or "", credentials.password or "")
    if user is None:
        raise unauthorized("Basic", "Wrong name or password.")
    token, expires_at = tokens.issue_token(user)
    return {"token": token, "expires_at": expires_at}


@bp.delete("/tokens")
@bp.doc(security=BEARER)
@bp.response(204)
@bp.errors(401, 429)
def revoke_token() -> Response:
    """Revoke the token this request carries"""
    tokens.revoke_token(bearer_token())
    return Response(status=204)


def bearer_token() -> ApiToken:
    """The live token in the Authorization: Bearer header; 401 if there is none."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise unauthorized("Bearer", "Send a token: Authorization: Bearer <token>.")
    token = tokens.live_token(value.strip())
    if token is None:
        raise unauthorized("Bearer", "This token is not valid, or has expired or been revoked.")
    return token


def token_required(view: F) -> F:
    """Run `view` only for a request with a live bearer token; its user is `g.api_user`.
    The document says so: the operation needs a bearer token, and may answer 401, or 429
    past the write limit (blog.web.rate_limits)."""

    @wraps(view)
    def checked(*args: object, **kwargs: object) -> Any:
        g.api_user = db.session.get(User, bearer_token().user_id)
        return view(*args, **kwargs)

    documented: F = bp.doc(security=BEARER)(bp.errors(401, 429)(checked))
    return documented
