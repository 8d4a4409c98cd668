"""Accounts: names, passwords, and the rule that slows down guessing.

The rule: after SIGN_IN_MAX_FAILURES failed sign-ins in a row for one name (5), that name
is refused for SIGN_IN_LOCKOUT_SECONDS (15 minutes), right password or not. A successful
sign-in starts the count again. The count lives in the database, so every worker and every
server behind the same database applies it together.
"""

import hmac
import math
import re
from datetime import datetime
from datetime import timedelta
from functools import cache
from typing import Any
from typing import cast

from flask import current_app
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.engine import CursorResult
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

from blog.extensions import db
from blog.extensions import login_manager
from blog.models import USER_NAME_LENGTH
from blog.models import ApiToken
from blog.models import User
from blog.models import utcnow

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024  # hashing a megabyte on every guess would be a gift to an attacker
NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{USER_NAME_LENGTH - 1}}}")
NAME_RULE = (
    f"1 to {USER_NAME_LENGTH} letters, digits, dots, dashes or underscores, starting with a"
    " letter or digit"
)


class AccountError(ValueError):
    """A name or password that cannot be used; its message says why, for the user."""


class SignInRefused(Exception):
    """Too many failed sign-ins for this name: refused until `until`."""

    def __init__(self, until: datetime) -> None:
        self.until = until
        super().__init__(
            "Too many failed sign-ins for this name. Sign-ins are refused for"
            f" {minutes_until(until)}; try again later."
        )


def seconds_until(until: datetime) -> int:
    """Whole seconds from now until `until`, at least 1."""
    return max(1, math.ceil((until - utcnow()).total_seconds()))


def minutes_until(until: datetime) -> str:
    minutes = math.ceil(seconds_until(until) / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The signed-in user of a session, if it still exists with the password it signed in
    with (User.get_id)."""
    user_id, _, _ = session_id.partition(":")
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not hmac.compare_digest(user.get_id(), session_id):
        return None
    return user


def find_user(name: str) -> User | None:
    """The user called `name`, ignoring case."""
    return db.session.scalar(select(User).where(func.lower(User.name) == name.lower()))


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise AccountError(f"A name is {NAME_RULE}.")
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"A password has at most {MAX_PASSWORD_LENGTH} characters.")
    return password


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def create_user(name: str, password: str) -> User:
    """Add an author; AccountError if the name is taken (in any case) or either is unfit."""
    check_name(name)
    check_password(password)
    if find_user(name) is not None:
        raise AccountError(f"A user called {name!r} already exists.")
    user = User(name=name, password_hash=hash_password(password))
    db.session.add(user)
    db.session.commit()
    return user


def set_password(name: str, password: str) -> User:
    """Give `name` a new password, and lift any refusal of its sign-ins."""
    user = find_user(name)
    if user is None:
        raise AccountError(f"No user called {name!r}.")
    user.password_hash = hash_password(check_password(password))
    user.failed_sign_ins, user.locked_until = 0, None
    # A new password ends the old one's API tokens (and, through get_id, its sessions).
    db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    db.session.commit()
    return user


@cache
def decoy_hash(method: str) -> str:
    return generate_password_hash("not anyone's password", method=method)


def authenticate(name: str, password: str) -> User | None:
    """The user whose name and password these are, or None (a failure is counted).

    Raises SignInRefused while the name is refused, and at the failure that starts it.
    """
    config = current_app.config
    # A name no account can have (NUL included, which PostgreSQL refuses) is not looked up.
    user = find_user(name) if NAME.fullmatch(name) else None
    if user is None:
        # Costs what a wrong password costs, so the time taken tells no one which names exist.
        check_password_hash(decoy_hash(config["PASSWORD_HASH_METHOD"]), password)
        return None
    now = utcnow()
    if user.locked_until is not None and user.locked_until > now:
        raise SignInRefused(user.locked_until)
    if check_password_hash(user.password_hash, password):
        if user.failed_sign_ins or user.locked_until:
            user.failed_sign_ins, user.locked_until = 0, None
            db.session.commit()
        return user
    until = now + timedelta(seconds=config["SIGN_IN_LOCKOUT_SECONDS"])
    # Counted in the database, so concurrent guesses cannot undercount.
    db.session.execute(
        update(User).where(User.id == user.id).values(failed_sign_ins=User.failed_sign_ins + 1)
    )
    # Session.execute is typed to give a Result; for an UPDATE without RETURNING, it is
    # the CursorResult that has rowcount.
    locked = cast(
        CursorResult[Any],
        db.session.execute(
            update(User)
            .where(User.id == user.id, User.failed_sign_ins >= config["SIGN_IN_MAX_FAILURES"])
            .values(failed_sign_ins=0, locked_until=until)
        ),
    ).rowcount
    db.session.commit()
    if locked:
        raise SignInRefused(until)
    return None
