"""The ledger: the SHA-256 of each applied revision's file, kept beside alembic_version.

Alembic records only where a database is, not what got it there: a revision edited after a
database ran it goes unnoticed, and the next database to run it ends up with another
schema. So each run that moves a database records the file of every revision it applies
(and forgets those it takes back), in the run's own transaction; and before moving, it
compares the files of the revisions the ledger holds with those on disk, and refuses to go
on if one changed (Flyway's `validate`). `flask db repair REV` records a file as it is
now, once someone has checked that what the revision does is unchanged.

A database migrated before the ledger existed gets its ledger at its next run: the files of
the revisions it has, as they are (a baseline), said once.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import click
from alembic.runtime.migration import MigrationInfo
from alembic.script import Script
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Column
from sqlalchemy import Connection
from sqlalchemy import MetaData
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy import update

TABLE_NAME = "alembic_version_files"

# Not on the app's metadata: like alembic_version, it belongs to the runs, not the models,
# and autogenerate is told not to see it (is_not_ledger).
ledger = Table(
    TABLE_NAME,
    MetaData(),
    Column("revision", String(32), primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("path", String(255), nullable=False),
)


class LedgerError(CommandError):
    """An applied revision's file no longer matches the ledger: the one-line reason."""


@dataclass(frozen=True)
class Changed:
    """An applied revision whose file is not what the database ran."""

    revision: str
    path: str

    def message(self) -> str:
        return (
            f"revision {self.revision} ({self.path}) was applied to this database and its"
            " file has changed since: restore it (git checkout), write a new revision for"
            f" the change, or, if only a comment changed, `flask db repair {self.revision}`"
        )


def file_sha256(script: Script) -> str:
    """The SHA-256 of a revision's file, as bytes on disk."""
    return hashlib.sha256(Path(script.path).read_bytes()).hexdigest()


def relative_path(script: Script) -> str:
    """The revision's file, relative to the project (as messages name it)."""
    path = Path(script.path).resolve()
    return str(path.relative_to(path.parents[2])) if len(path.parents) > 2 else str(path)


def is_not_ledger(name: str | None, type_: str, parent_names: object) -> bool:
    """For autogenerate's include_name: false for the ledger, which no model declares."""
    return not (type_ == "table" and name == TABLE_NAME)


def exists(connection: Connection) -> bool:
    return inspect(connection).has_table(TABLE_NAME)


def recorded(connection: Connection) -> dict[str, str]:
    """The ledger: revision id to the SHA-256 of the file it ran; empty if none yet."""
    if not exists(connection):
        return {}
    return dict(connection.execute(select(ledger.c.revision, ledger.c.sha256)).all())


def applied_scripts(scripts: ScriptDirectory, heads: Iterable[str]) -> dict[str, Script]:
    """The revisions a database at `heads` has applied that this checkout knows."""
    known = {script.revision for script in scripts.walk_revisions()}
    return {
        script.revision: script
        for head in heads
        if head in known
        for script in scripts.iterate_revisions(head, "base")
    }


def changed(
    connection: Connection, scripts: ScriptDirectory, heads: Iterable[str]
) -> list[Changed]:
    """The applied revisions whose file differs from the one the ledger recorded (those
    this checkout does not know, a newer release's, are not judged here)."""
    return differing(applied_scripts(scripts, heads), recorded(connection))


def differing(applied: dict[str, Script], known: dict[str, str]) -> list[Changed]:
    return [
        Changed(revision, relative_path(applied[revision]))
        for revision, sha256 in known.items()
        if revision in applied and file_sha256(applied[revision]) != sha256
    ]


def prepare(connection: Connection, scripts: ScriptDirectory, heads: Iterable[str]) -> None:
    """Before a run moves the database: refuse if an applied revision's file changed, make
    the ledger if there is none, and record the applied revisions it lacks."""
    applied = applied_scripts(scripts, heads)
    known = recorded(connection)
    if found := differing(applied, known):
        raise LedgerError(found[0].message())
    if not exists(connection):
        ledger.create(connection)
    if stale := [revision for revision in known if revision not in applied]:
        # Taken back by a stamp, which names only where it goes.
        connection.execute(delete(ledger).where(ledger.c.revision.in_(stale)))
    if missing := [script for revision, script in applied.items() if revision not in known]:
        for script in missing:
            record(connection, script)
        click.echo(
            f"Recorded the files of {len(missing)} revisions applied before the ledger kept"
            f" them ({TABLE_NAME}): from now on, a change to one of them is refused.",
            err=True,
        )


def note(connection: Connection, step: MigrationInfo) -> None:
    """After a step of the run: record the revisions applied, forget those taken back."""
    for revision in step.up_revisions:
        if not isinstance(revision, Script):
            continue
        if step.is_upgrade:
            record(connection, revision)
        else:
            forget(connection, revision.revision)


def record(connection: Connection, script: Script) -> None:
    """Record the file of a revision just applied."""
    connection.execute(delete(ledger).where(ledger.c.revision == script.revision))
    connection.execute(
        insert(ledger).values(
            revision=script.revision, sha256=file_sha256(script), path=relative_path(script)
        )
    )


def forget(connection: Connection, revision: str) -> None:
    """Forget a revision just taken back: its file may change freely again."""
    connection.execute(delete(ledger).where(ledger.c.revision == revision))


def repair(connection: Connection, script: Script) -> bool:
    """Record a revision's file as it is now; false if the database has not applied it."""
    result = connection.execute(
        update(ledger)
        .where(ledger.c.revision == script.revision)
        .values(sha256=file_sha256(script), path=relative_path(script))
    )
    return bool(result.rowcount)
