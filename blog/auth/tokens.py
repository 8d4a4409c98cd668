"""The API's bearer tokens: made for an account, found again from the token a request
carries, revoked.

A token is 32 random bytes. Only its SHA-256 is stored; a request's token is hashed and
looked up by that hash, and the hashes compared in constant time, so neither the database
nor the time taken gives a token away.
"""

import hashlib
import hmac
import secrets
from datetime import datetime
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete
from sqlalchemy import select

from blog.extensions import db
from blog.models import ApiToken
from blog.models import User
from blog.models import utcnow


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue_token(user: User) -> tuple[str, datetime]:
    """A new token for `user`, and when it expires (API_TOKEN_SECONDS from now)."""
    now = utcnow()
    expires_at = now + timedelta(seconds=current_app.config["API_TOKEN_SECONDS"])
    token = secrets.token_urlsafe(32)
    # The user's expired tokens go as a new one comes: the table holds live tokens only.
    db.session.execute(
        delete(ApiToken).where(ApiToken.user_id == user.id, ApiToken.expires_at <= now)
    )
    db.session.add(ApiToken(user_id=user.id, token_hash=digest(token), expires_at=expires_at))
    db.session.commit()
    return token, expires_at


def live_token(token: str) -> ApiToken | None:
    """The stored token that `token` is, if it has not expired or been revoked."""
    hashed = digest(token)
    found = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hashed))
    if found is None or not hmac.compare_digest(found.token_hash, hashed):
        return None
    return found if found.expires_at > utcnow() else None


def revoke_token(token: ApiToken) -> None:
    db.session.delete(token)
    db.session.commit()
