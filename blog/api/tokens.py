"""Bearer tokens: POST /api/tokens (HTTP Basic) makes one, DELETE /api/tokens revokes it.

A token is 32 random bytes. Only its SHA-256 is stored; a request's token is hashed and
looked up by that hash, and the hashes compared in constant time, so neither the database
nor the time taken gives a token away.
"""

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any
from typing import TypeVar

from flask import Response
from flask import current_app
from flask import g
from flask import request
from sqlalchemy import delete
from sqlalchemy import select
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import TooManyRequests
from werkzeug.exceptions import Unauthorized

from blog.api import schemas
from blog.api.blueprint import bp
from blog.api.document import errors
from blog.auth.accounts import SignInRefused
from blog.auth.accounts import authenticate
from blog.auth.accounts import seconds_until
from blog.extensions import db
from blog.models import ApiToken
from blog.models import User
from blog.models import utcnow

BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]


def unauthorized(scheme: str, message: str) -> Unauthorized:
    """A 401 whose WWW-Authenticate names the scheme to use."""
    return Unauthorized(message, www_authenticate=WWWAuthenticate(scheme, {"realm": "blog"}))


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@bp.post("/tokens")
@bp.doc(operationId="createToken", security=[{"basicAuth": []}])
@bp.response(201, schemas.Token)
@errors(401, 429)
def issue_token() -> dict[str, Any]:
    """A bearer token, for your name and password (HTTP Basic)"""
    credentials = request.authorization
    if credentials is None or credentials.type != "basic":
        raise unauthorized("Basic", "Send your name and password with HTTP Basic auth.")
    try:
        user = authenticate(credentials.username or "", credentials.password or "")
    except SignInRefused as refused:
        raise TooManyRequests(str(refused), retry_after=seconds_until(refused.until)) from None
    if user is None:
        raise unauthorized("Basic", "Wrong name or password.")
    now = utcnow()
    expires_at = now + timedelta(seconds=current_app.config["API_TOKEN_SECONDS"])
    token = secrets.token_urlsafe(32)
    # The user's expired tokens go as a new one comes: the table holds live tokens only.
    db.session.execute(
        delete(ApiToken).where(ApiToken.user_id == user.id, ApiToken.expires_at <= now)
    )
    db.session.add(ApiToken(user_id=user.id, token_hash=digest(token), expires_at=expires_at))
    db.session.commit()
    return {"token": token, "expires_at": expires_at}


@bp.delete("/tokens")
@bp.doc(operationId="revokeToken", security=BEARER)
@bp.response(204)
@errors(401)
def revoke_token() -> Response:
    """Revoke the token this request carries"""
    db.session.delete(bearer_token())
    db.session.commit()
    return Response(status=204)


def bearer_token() -> ApiToken:
    """The live token in the Authorization: Bearer header; 401 if there is none."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value:
        raise unauthorized("Bearer", "Send a token: Authorization: Bearer <token>.")
    hashed = digest(value)
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hashed))
    if (
        token is None
        or not hmac.compare_digest(token.token_hash, hashed)
        or token.expires_at <= utcnow()
    ):
        raise unauthorized("Bearer", "This token is not valid, or has expired or been revoked.")
    return token


F = TypeVar("F", bound=Callable[..., Any])


def token_required(view: F) -> F:
    """Run `view` only for a request with a live bearer token; its user is `g.api_user`.
    The document says so: the operation needs a bearer token, and may answer 401."""

    @wraps(view)
    def checked(*args: object, **kwargs: object) -> Any:
        g.api_user = db.session.get(User, bearer_token().user_id)
        return view(*args, **kwargs)

    documented: F = bp.doc(security=BEARER)(bp.alt_response(401, response="UNAUTHORIZED")(checked))
    return documented
