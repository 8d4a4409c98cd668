"""`/healthz` (the process answers) and `/readyz` (the database answers, migrated for
this release)."""

import time

from flask import Blueprint
from flask import current_app
from sqlalchemy import column
from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy import table
from sqlalchemy.exc import SQLAlchemyError

from blog.extensions import db
from blog.migrating.history import History
from blog.migrating.history import read_history

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> dict[str, str]:
    """Alive: answers without touching the database."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz() -> tuple[dict[str, str | None], int]:
    """Ready: the database answers, and has every revision this release needs.

    That is head, or any revision from the pre-deploy head up (while a deploy waits to
    run its post-deploy revisions), or a revision this release does not know, which a
    newer release's deploy applied: during a deploy, the previous release serves on the
    newer pre-deploy schema, as the phases promise. 503 otherwise, saying why:
    unreachable, or behind (not migrated yet). Never the URL or the error text, which
    may carry host names or credentials.
    """
    history = migration_history()
    try:
        current = database_revisions()
    except SQLAlchemyError as error:
        return {
            "database": "unreachable",
            "error": type(error).__name__,
            "head": history.head,
        }, 503
    state = database_state(current)
    revision = current[0] if len(current) == 1 else None
    answer = {"database": state, "revision": revision, "head": history.head}
    return answer, 503 if state == BEHIND else 200


# Where the database stands, for this release's code.
AT_HEAD, POST_DEPLOY_PENDING, AHEAD, BEHIND = (
    "ok",
    "post-deploy pending",
    "ahead of head",
    "behind head",
)


def database_state(current: tuple[str, ...]) -> str:
    """At head; at or past the pre-deploy head, with post-deploy revisions pending; ahead
    (a newer release's revisions, which this release does not know); or behind."""
    history = migration_history()
    if list(current) == [history.head]:
        return AT_HEAD
    if len(current) == 1 and current[0] in history.servable:
        return POST_DEPLOY_PENDING
    if current and all(revision not in history.revisions for revision in current):
        return AHEAD
    return BEHIND


# Alembic's record of where the database is (its default name, which env.py keeps).
VERSION_TABLE = table("alembic_version", column("version_num"))


def database_revisions() -> tuple[str, ...]:
    """The revisions the database's alembic_version records (empty before any migration).
    Read as a plain table, as Alembic's MigrationContext would: without importing Alembic
    (blog.migrating.history)."""
    with db.engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE.name):
            return ()
        return tuple(connection.execute(select(VERSION_TABLE.c.version_num)).scalars())


def release_complete() -> bool:
    """True once this release's post-deploy revisions are applied: the database is at
    head (or ahead, a newer release deploying). No previous release serves then, since
    post-deploy revisions run only once it is gone, so the release may hand out what only
    it understands, such as slug URLs. Until then, between `flask deploy` and `flask
    deploy --post`, it keeps to the URLs the previous release knows: a request for one of
    its links may reach a worker of the previous release.

    Read from the database at most every SCHEMA_CHECK_SECONDS, in each worker.
    """
    checked: tuple[float, bool] | None = current_app.extensions.get("blog.release_complete")
    now = time.monotonic()
    # .get: a worker that the previous release's master (no preload) starts after the
    # deploy's symlink moved imports this code beside that release's config, which has no
    # such setting; it then reads the database every time, which is right, only slower.
    trusted_for = current_app.config.get("SCHEMA_CHECK_SECONDS", 0)
    if checked is not None and now - checked[0] < trusted_for:
        return checked[1]
    try:
        complete = database_state(database_revisions()) in (AT_HEAD, AHEAD)
    except SQLAlchemyError:
        complete = False  # the page that asked fails on the database anyway
    current_app.extensions["blog.release_complete"] = (now, complete)
    return complete


def migration_history() -> History:
    """This release's head revision and all its revisions, read from disk once per app."""
    cached: History | None = current_app.extensions.get("blog.migration_history")
    if cached is None:
        cached = current_app.extensions["blog.migration_history"] = read_history()
    return cached
