"""`/healthz` (the process answers) and `/readyz` (the database answers, at head)."""

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from blog.extensions import db
from blog.extensions import migrate

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> dict:
    """Alive: answers without touching the database."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz() -> tuple[dict, int]:
    """Ready: the database answers and its revision is the migrations' head.

    503 otherwise, saying why: unreachable, behind head (not migrated yet) or ahead of
    head (migrated by a newer release than this one). Never the URL or the error text,
    which may carry host names or credentials.
    """
    head, known = migration_history()
    try:
        current = database_revisions()
    except SQLAlchemyError as error:
        return {"database": "unreachable", "error": type(error).__name__, "head": head}, 503
    revision = current[0] if len(current) == 1 else None
    if revision == head:
        return {"database": "ok", "revision": revision, "head": head}, 200
    state = "ahead of head" if any(rev not in known for rev in current) else "behind head"
    return {"database": state, "revision": revision, "head": head}, 503


def database_revisions() -> tuple[str, ...]:
    """The revisions the database's alembic_version records (empty before any migration)."""
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_heads()


def migration_history() -> tuple[str, frozenset[str]]:
    """This release's head revision and all its revisions, read from disk once per app."""
    cached = current_app.extensions.get("blog.migration_history")
    if cached is None:
        scripts = ScriptDirectory.from_config(migrate.get_config())
        revisions = frozenset(script.revision for script in scripts.walk_revisions())
        cached = current_app.extensions["blog.migration_history"] = (
            scripts.get_current_head(),
            revisions,
        )
    return cached
