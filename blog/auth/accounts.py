"""Accounts: names, passwords, and checking a sign-in.

A failed sign-in is counted by the limits that slow guessing (blog/web/rate_limits.py):
per name and address, per address, and per name from anywhere.
"""

import hmac
import re
from functools import cache

from flask import current_app
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

from blog.extensions import db
from blog.extensions import login_manager
from blog.integrity import is_unique_violation
from blog.models import USER_NAME_LENGTH
from blog.models import ApiToken
from blog.models import User
from blog.web.rate_limits import count_failed_sign_in

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024  # hashing a megabyte on every guess would be a gift to an attacker
NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{USER_NAME_LENGTH - 1}}}")
NAME_RULE = (
    f"1 to {USER_NAME_LENGTH} letters, digits, dots, dashes or underscores, starting with a"
    " letter or digit"
)


class AccountError(ValueError):
    """A name or password that cannot be used; its message says why, for the user."""


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
    """Add an author; AccountError if the name is taken (in any case) or either is unfit.

    The database refuses a taken name too (uq_users_name_lower; on MariaDB, the name's
    collation), which settles two accounts made at once under one name.
    """
    check_name(name)
    check_password(password)
    # Names are ASCII (NAME), which lower() folds on every engine, as the index does.
    taken = AccountError(f"A user called {name!r} already exists.")
    if find_user(name) is not None:
        raise taken
    user = User(name=name, password_hash=hash_password(password))
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        if not is_unique_violation(error, "users", "name"):
            raise
        raise taken from None
    return user


def set_password(name: str, password: str) -> User:
    """Give `name` a new password."""
    user = find_user(name)
    if user is None:
        raise AccountError(f"No user called {name!r}.")
    user.password_hash = hash_password(check_password(password))
    # A new password ends the old one's API tokens (and, through get_id, its sessions).
    db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    db.session.commit()
    return user


@cache
def decoy_hash(method: str) -> str:
    return generate_password_hash("not anyone's password", method=method)


def authenticate(name: str, password: str) -> User | None:
    """The user whose name and password these are, or None (counted as a failed sign-in)."""
    # A name no account can have (NUL included, which PostgreSQL refuses) is not looked up.
    user = find_user(name) if NAME.fullmatch(name) else None
    if user is None:
        # Costs what a wrong password costs, so the time taken tells no one which names exist.
        check_password_hash(decoy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
    elif check_password_hash(user.password_hash, password):
        return user
    count_failed_sign_in()
    return None
