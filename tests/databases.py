"""The database servers the tests run on: fresh databases per test, fast.

SQLite always runs. PostgreSQL and MariaDB run when TEST_POSTGRESQL_URL / TEST_MARIADB_URL
name a server account that may create databases (the Makefile points them at this
machine's local servers). Each test gets its own database, copied from one migrated once
per run: a file copy on SQLite, CREATE DATABASE … TEMPLATE on PostgreSQL, and on MariaDB
(which has no templates) the template's own CREATE TABLE statements replayed.
"""

import atexit
import itertools
import os
import re
import shutil
import tempfile
from pathlib import Path

import flask_migrate
from flask import Flask
from sqlalchemy import URL
from sqlalchemy import create_engine
from sqlalchemy import make_url
from sqlalchemy import select
from sqlalchemy import text

from blog import create_app
from blog.extensions import db
from blog.migrating import ledger
from config import with_driver

# Databases this run creates are named blog_test_<pid>_<n>: another run's are left alone,
# and those of a run that died are recognised by their pid and dropped.
PREFIX = f"blog_test_{os.getpid()}_"
_numbers = itertools.count()

SERVER_VARIABLES = {"postgresql": "TEST_POSTGRESQL_URL", "mariadb": "TEST_MARIADB_URL"}


# What the apps write to their instance folder (backups) goes here, not into the repository.
INSTANCE = tempfile.mkdtemp(prefix="blog-tests-instance-")
atexit.register(shutil.rmtree, INSTANCE, ignore_errors=True)


def make_app(database_url: str | URL, **overrides: object) -> Flask:
    """The testing app on `database_url`, with single settings overridden."""
    if isinstance(database_url, URL):
        database_url = database_url.render_as_string(hide_password=False)
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, **overrides})
    app.instance_path = INSTANCE
    return app


def dispose(app: Flask) -> None:
    """Close the app's pooled connections, so its database can go."""
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


def migrate_to_head(url: URL) -> None:
    app = make_app(url)
    with app.app_context():
        flask_migrate.upgrade()
    dispose(app)


class Database:
    """One engine's server: hands out empty or migrated databases, and drops them."""

    name = ""

    def start(self) -> None:
        """Make the migrated template the copies come from."""

    def stop(self) -> None:
        """Drop what start() made."""

    def empty(self) -> URL:
        """A new database with nothing in it."""
        raise NotImplementedError

    def migrated(self) -> URL:
        """A new database at head, copied from the template."""
        raise NotImplementedError

    def drop(self, url: URL) -> None:
        """Drop a database made by empty() or migrated()."""


class SQLiteDatabase(Database):
    name = "sqlite"

    def start(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="blog-tests-"))
        self.template = self.directory / "template.db"
        migrate_to_head(self._url(self.template))

    def stop(self) -> None:
        shutil.rmtree(self.directory)

    def empty(self) -> URL:
        return self._url(self.directory / f"{PREFIX}{next(_numbers)}.db")

    def migrated(self) -> URL:
        url = self.empty()
        shutil.copyfile(self.template, url.database)
        return url

    def drop(self, url: URL) -> None:
        Path(url.database).unlink(missing_ok=True)

    @staticmethod
    def _url(path: Path) -> URL:
        return make_url(f"sqlite:///{path}")


class ServerDatabase(Database):
    """PostgreSQL or MariaDB: databases are created and dropped through an admin connection."""

    def __init__(self, server_url: str) -> None:
        self.server = make_url(with_driver(server_url))
        self.admin = create_engine(
            self.server,
            isolation_level="AUTOCOMMIT",
            pool_size=1,
            connect_args={"connect_timeout": 3},  # an absent server answers quickly
        )
        self.template = f"{PREFIX}template"

    def reachable(self) -> str | None:
        """None when the server answers; else why not, in one line."""
        try:
            with self.admin.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
        except Exception as error:  # any failure to connect means "not here"
            return str(error).strip().splitlines()[0]
        return None

    def url(self, database: str) -> URL:
        return self.server.set(database=database)

    def empty(self) -> URL:
        name = f"{PREFIX}{next(_numbers)}"
        self._execute(self._create(name))
        return self.url(name)

    def drop(self, url: URL) -> None:
        self._execute(self._drop(url.database))

    def start(self) -> None:
        self.drop_abandoned()
        self._execute(self._create(self.template))
        migrate_to_head(self.url(self.template))

    def stop(self) -> None:
        self._execute(self._drop(self.template))
        self.admin.dispose()

    def drop_abandoned(self) -> None:
        """Drop test databases left behind by runs whose process is gone."""
        for name in self._names():
            match = re.fullmatch(r"blog_test_(\d+)_.*", name)
            if match and not _alive(int(match.group(1))):
                self._execute(self._drop(name))

    def _execute(self, sql: str) -> None:
        with self.admin.connect() as connection:
            connection.exec_driver_sql(sql)

    def _create(self, name: str) -> str:
        raise NotImplementedError

    def _drop(self, name: str) -> str:
        raise NotImplementedError

    def _names(self) -> list[str]:
        raise NotImplementedError


class PostgreSQLDatabase(ServerDatabase):
    name = "postgresql"

    def migrated(self) -> URL:
        name = f"{PREFIX}{next(_numbers)}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return self.url(name)

    def _create(self, name: str) -> str:
        return f'CREATE DATABASE "{name}"'

    def _drop(self, name: str) -> str:
        return f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'

    def _names(self) -> list[str]:
        with self.admin.connect() as connection:
            return list(connection.scalars(text("SELECT datname FROM pg_database")))


class MariaDBDatabase(ServerDatabase):
    name = "mariadb"

    def start(self) -> None:
        super().start()
        # The template's tables as MariaDB itself would write them, and its version row:
        # replayed into each new database.
        engine = create_engine(self.url(self.template))
        with engine.connect() as connection:
            tables = connection.exec_driver_sql("SHOW TABLES").scalars().all()
            self.statements = [
                # Tables in any order: their foreign keys are checked only from the end on.
                "SET FOREIGN_KEY_CHECKS = 0",
                *(
                    connection.exec_driver_sql(f"SHOW CREATE TABLE `{table}`").one()[1]
                    for table in tables
                ),
                "SET FOREIGN_KEY_CHECKS = 1",
            ]
            version = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
            self.statements.append(f"INSERT INTO alembic_version VALUES ('{version.scalar()}')")
            # The ledger's rows too (hex digests and paths of revision files: nothing to quote).
            for row in connection.execute(select(ledger.ledger)).all():
                values = ", ".join(f"'{value}'" for value in row)
                self.statements.append(f"INSERT INTO {ledger.TABLE_NAME} VALUES ({values})")
        engine.dispose()

    def migrated(self) -> URL:
        url = self.empty()
        engine = create_engine(url)
        with engine.begin() as connection:
            for statement in self.statements:
                connection.exec_driver_sql(statement)
        engine.dispose()
        return url

    def _create(self, name: str) -> str:
        return f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"

    def _drop(self, name: str) -> str:
        return f"DROP DATABASE IF EXISTS `{name}`"

    def _names(self) -> list[str]:
        with self.admin.connect() as connection:
            return list(connection.scalars(text("SHOW DATABASES")))


def servers() -> dict[str, ServerDatabase | None]:
    """The servers the environment names, by engine (None where no URL is set)."""
    classes = {"postgresql": PostgreSQLDatabase, "mariadb": MariaDBDatabase}
    return {
        engine: classes[engine](os.environ[variable]) if os.environ.get(variable) else None
        for engine, variable in SERVER_VARIABLES.items()
    }


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
