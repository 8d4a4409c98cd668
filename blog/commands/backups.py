"""Consistent copies of a SQLite database, taken before going back a revision."""

import sqlite3
from contextlib import closing
from datetime import UTC
from datetime import datetime
from pathlib import Path

from flask import current_app

from blog.extensions import db
from blog.health import database_revisions


class BackupError(Exception):
    """No copy could be made: the reason, in one line."""


def backup_sqlite() -> Path:
    """Copy the app's SQLite database to instance/backups/, named with its revision and
    the time, with SQLite's online backup API: consistent even while the site writes."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        raise BackupError(
            f"backups here copy SQLite databases; for {url.get_backend_name()}, use its own"
            " tool (pg_dump for PostgreSQL, mariadb-dump for MariaDB): see docs/deploying.md"
        )
    source = Path(url.database or "")
    if not url.database or url.database == ":memory:" or not source.is_file():
        raise BackupError(f"there is no SQLite database file to back up at {source}")
    revision = "-".join(database_revisions()) or "base"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    directory = Path(current_app.instance_path) / "backups"
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{source.stem}-{revision}-{stamp}.db"
    number = 1
    while target.exists():  # two backups in the same second
        number += 1
        target = directory / f"{source.stem}-{revision}-{stamp}-{number}.db"
    with closing(sqlite3.connect(source)) as live, closing(sqlite3.connect(target)) as copy:
        live.backup(copy)
    return target
