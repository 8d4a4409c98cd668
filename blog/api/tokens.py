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

from flask import current_app
from flask import g
from flask import request
from sqlalchemy import delete
from sqlalchemy import select
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import TooManyRequests
from werkzeug.exceptions import Unauthorized

from blog.api.blueprint import bp
from blog.auth.accounts import SignInRefused
from blog.auth.accounts import authenticate
from blog.auth.accounts import seconds_until
from blog.extensions import db
from blog.models import ApiToken
from blog.models import User
from blog.models import utcnow


def unauthorized(scheme: str, message: str) -> Unauthorized:
    """A 401 whose WWW-Authenticate names the scheme to use."""
    return Unauthorized(message, www_authenticate=WWWAuthenticate(scheme, {"realm": "blog"}))


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@bp.post("/tokens")
def issue_token() -> tuple[dict[str, Any], int]:
    """A new token for the user named in the Authorization: Basic header."""
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
    return {"token": token, "token_type": "Bearer", "expires_at": expires_at.isoformat()}, 201


@bp.delete("/tokens")
def revoke_token() -> tuple[str, int]:
    """Revoke the token this request carries."""
    db.session.delete(bearer_token())
    db.session.commit()
    return "", 204


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
    """Run `view` only for a request with a live bearer token; its user is `g.api_user`."""

    @wraps(view)
    def checked(*args: object, **kwargs: object) -> Any:
        g.api_user = db.session.get(User, bearer_token().user_id)
        return view(*args, **kwargs)

    return checked  # type: ignore[return-value]
