"""`flask users`: create authors, list them, set their passwords, lift a sign-in limit."""

import sys
from typing import Any
from typing import cast

import click
from flask.cli import AppGroup
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.engine import CursorResult

from blog.auth.accounts import AccountError
from blog.auth.accounts import check_name
from blog.auth.accounts import check_password
from blog.auth.accounts import create_user
from blog.auth.accounts import find_user
from blog.auth.accounts import set_password
from blog.extensions import db
from blog.models import Post
from blog.models import User
from blog.web.rate_limits import lift_name_limit

users = AppGroup(
    "users", help="Create authors, list them, set their passwords, lift a sign-in limit."
)

password_stdin = click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input (its first line), for scripts.",
)


def read_password(from_stdin: bool) -> str:
    """The new password: standard input's first line, or typed twice without echo."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def existing_user(name: str) -> User:
    """The user called `name` (in any case); a one-line error if there is none."""
    user = find_user(name)
    if user is None:
        raise click.ClickException(f"No user called {name!r}.")
    return user


@users.command("create")
@click.argument("name")
@password_stdin
def create(name: str, password_stdin: bool) -> None:
    """Add an author called NAME, asking for a password."""
    try:
        check_name(name)  # before asking for a password the name could never have
        if find_user(name) is not None:
            raise AccountError(f"A user called {name!r} already exists.")
        user = create_user(name, check_password(read_password(password_stdin)))
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created user {user.name}.")


@users.command("set-password")
@click.argument("name")
@password_stdin
def set_password_command(name: str, password_stdin: bool) -> None:
    """Give NAME a new password (which ends its API tokens and sessions)."""
    try:
        if find_user(name) is None:
            raise AccountError(f"No user called {name!r}.")
        user = set_password(name, read_password(password_stdin))
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Set a new password for {user.name}.")


@users.command("unlock")
@click.argument("name")
def unlock(name: str) -> None:
    """Lift the limit on NAME's sign-ins that failures from every address reached."""
    user = existing_user(name)
    lift_name_limit(user.name)
    click.echo(f"{user.name} may sign in again from anywhere.")


@users.command("list")
def list_users() -> None:
    """Every author, with when they joined and how many posts they wrote."""
    post_counts = (
        select(Post.author_id, func.count().label("posts")).group_by(Post.author_id).subquery()
    )
    rows = db.session.execute(
        select(User.name, User.created_at, func.coalesce(post_counts.c.posts, 0))
        .outerjoin(post_counts, post_counts.c.author_id == User.id)
        .order_by(User.name)
    ).all()
    if not rows:
        click.echo("No users yet: add one with `flask users create NAME`.")
    for name, created_at, posts in rows:
        plural = "" if posts == 1 else "s"
        click.echo(f"{name}\tjoined {created_at:%Y-%m-%d}\t{posts} post{plural}")


@users.command("adopt-posts")
@click.argument("name")
def adopt_posts(name: str) -> None:
    """Make NAME the author of every post that has none (posts from before accounts)."""
    user = existing_user(name)
    # Session.execute is typed to give a Result; for an UPDATE without RETURNING, it is
    # the CursorResult that has rowcount.
    adopted = cast(
        CursorResult[Any],
        db.session.execute(
            update(Post)
            .where(Post.author_id.is_(None))
            # Naming updated_at keeps its onupdate from firing: a post is not edited by this.
            .values(author_id=user.id, updated_at=Post.updated_at)
        ),
    ).rowcount
    db.session.commit()
    click.echo(f"{user.name} is now the author of {adopted} post{'s' if adopted != 1 else ''}.")
