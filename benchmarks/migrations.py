"""Revision 2 (read_count) on a big table: through Flask-Migrate against raw SQL, side by side.

    .venv/bin/python benchmarks/migrations.py [--posts 1000000] [--repeat 3]

Builds a database of N posts at revision 1, then times, on fresh copies of it:

- flask: `flask_migrate.upgrade()` / `downgrade()`, the functions `flask db upgrade` and
  `flask db downgrade` call once the app is loaded. Interpreter start-up and imports (about
  a second, the same for every `flask` command) are left out; Alembic's own work (reading
  the scripts, env.py, the run lock, the version table) is in.
- noop: `flask_migrate.upgrade()` on a database already at head: that fixed part alone.
- raw: the hand-written equivalent through the bare driver,
  `ALTER TABLE posts ADD COLUMN read_count INTEGER DEFAULT 0 NOT NULL` and
  `ALTER TABLE posts DROP COLUMN read_count`.

On SQLite always; on PostgreSQL too when BENCH_POSTGRESQL_URL (default: this machine's
server, as the Makefile's TEST_POSTGRESQL_URL) answers. Prints the median of the repeats
and the ratios: flask/raw end to end, and (flask - noop)/raw, the revision's own cost.
"""

import argparse
import contextlib
import io
import os
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import flask_migrate
import sqlalchemy as sa

from blog import create_app
from blog.extensions import db
from config import with_driver

READ_COUNT = "a97811296e15"  # the revision measured: add read_count field to Post model
ADD = "ALTER TABLE posts ADD COLUMN read_count INTEGER DEFAULT 0 NOT NULL"
DROP = "ALTER TABLE posts DROP COLUMN read_count"
BODY = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
    "incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud "
    "exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. "
)


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    with contextlib.redirect_stderr(io.StringIO()):  # Alembic's INFO lines
        action()
    return time.perf_counter() - start


def flask_times(url: str) -> dict[str, float]:
    """Upgrade to read_count, a no-op upgrade, and the downgrade, through Flask-Migrate."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        with db.engine.connect() as connection:  # connected before the clock starts, as raw
            connection.exec_driver_sql("SELECT 1")
        times = {
            "upgrade": timed(lambda: flask_migrate.upgrade(revision=READ_COUNT)),
            "noop": timed(lambda: flask_migrate.upgrade(revision=READ_COUNT)),
            "downgrade": timed(lambda: flask_migrate.downgrade(revision="-1")),
        }
        db.engine.dispose()
    return times


def migrate_to_initial(url: str) -> None:
    """The revision before the one measured."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        with contextlib.redirect_stderr(io.StringIO()):
            flask_migrate.upgrade(revision=f"{READ_COUNT}-1")
        db.engine.dispose()


class SQLite:
    name = "sqlite"

    def __init__(self, posts: int, directory: Path) -> None:
        self.directory = directory
        self.template = directory / "template.db"
        migrate_to_initial(self.url(self.template))
        with sqlite3.connect(self.template) as connection:
            connection.execute(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20)"
                " INSERT INTO categories (id, name, created_at)"
                " SELECT i, 'Category ' || i, '2020-01-01 00:00:00' FROM n"
            )
            connection.execute(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
                f" WHERE i < {posts})"
                " INSERT INTO posts (title, body, created_at, updated_at, category_id)"
                " SELECT 'Post ' || i, ? || i, datetime('2020-01-01', '+' || i || ' minutes'),"
                " datetime('2020-01-01', '+' || i || ' minutes'), i % 20 + 1 FROM n",
                (BODY,),
            )

    @staticmethod
    def url(path: Path) -> str:
        return f"sqlite:///{path}"

    def copy(self, name: str) -> str:
        shutil.copyfile(self.template, self.directory / name)
        # Flush the copy now, or the first COMMIT timed would pay for writing it out.
        with open(self.directory / name, "rb+") as copied:
            os.fsync(copied.fileno())
        return self.url(self.directory / name)

    def raw(self, url: str) -> dict[str, float]:
        connection = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        times = {}
        for step, sql in (("upgrade", ADD), ("downgrade", DROP)):
            start = time.perf_counter()
            connection.execute("BEGIN")
            connection.execute(sql)
            connection.execute("COMMIT")
            times[step] = time.perf_counter() - start
        connection.close()
        return times

    def drop(self, url: str) -> None:
        Path(url.removeprefix("sqlite:///")).unlink()

    def close(self) -> None:
        pass


class PostgreSQL:
    name = "postgresql"

    def __init__(self, posts: int, server_url: str) -> None:
        self.server = sa.make_url(with_driver(server_url))
        self.admin = sa.create_engine(self.server, isolation_level="AUTOCOMMIT")
        self.template = f"blog_bench_{os.getpid()}_{posts}"
        self.execute(f'CREATE DATABASE "{self.template}"')
        migrate_to_initial(self.url(self.template))
        engine = sa.create_engine(self.url(self.template))
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO categories (id, name, created_at)"
                " SELECT i, 'Category ' || i, '2020-01-01' FROM generate_series(1, 20) AS i"
            )
            connection.execute(
                sa.text(
                    "INSERT INTO posts (title, body, created_at, updated_at, category_id)"
                    " SELECT 'Post ' || i, :body || i,"
                    " timestamp '2020-01-01' + i * interval '1 minute',"
                    " timestamp '2020-01-01' + i * interval '1 minute', i % 20 + 1"
                    " FROM generate_series(1, :posts) AS i"
                ),
                {"body": BODY, "posts": posts},
            )
        engine.dispose()

    def execute(self, sql: str) -> None:
        with self.admin.connect() as connection:
            connection.exec_driver_sql(sql)

    def url(self, database: str) -> str:
        return self.server.set(database=database).render_as_string(hide_password=False)

    def copy(self, name: str) -> str:
        database = f"{self.template}_{name}"
        self.execute(f'CREATE DATABASE "{database}" TEMPLATE "{self.template}"')
        return self.url(database)

    def raw(self, url: str) -> dict[str, float]:
        engine = sa.create_engine(url)
        times = {}
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")  # connected before the clock starts
            connection.commit()
            for step, sql in (("upgrade", ADD), ("downgrade", DROP)):
                start = time.perf_counter()
                connection.exec_driver_sql(sql)
                connection.commit()
                times[step] = time.perf_counter() - start
        engine.dispose()
        return times

    def drop(self, url: str) -> None:
        self.execute(f'DROP DATABASE "{sa.make_url(url).database}" WITH (FORCE)')

    def close(self) -> None:
        self.execute(f'DROP DATABASE "{self.template}" WITH (FORCE)')
        self.admin.dispose()


def reachable(server_url: str) -> bool:
    engine = sa.create_engine(with_driver(server_url), connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return True
    except Exception:
        return False
    finally:
        engine.dispose()


def measure(engine: "SQLite | PostgreSQL", repeat: int) -> dict[str, float]:
    """Median seconds of each step, flask and raw timed side by side on identical copies."""
    runs: dict[str, list[float]] = {}
    for i in range(repeat):
        flask_url, raw_url = engine.copy(f"flask{i}"), engine.copy(f"raw{i}")
        for step, seconds in flask_times(flask_url).items():
            runs.setdefault(f"flask {step}", []).append(seconds)
        for step, seconds in engine.raw(raw_url).items():
            runs.setdefault(f"raw {step}", []).append(seconds)
        engine.drop(flask_url)
        engine.drop(raw_url)
    return {name: statistics.median(values) for name, values in runs.items()}


def report(name: str, posts: int, repeat: int, median: dict[str, float]) -> None:
    noop = median["flask noop"]
    print(f"\n{name}, {posts:,} posts, median of {repeat}:")
    print(f"  {'step':<10} {'flask':>9} {'raw':>9} {'flask/raw':>10} {'own/raw':>8}")
    for step in ("upgrade", "downgrade"):
        flask, raw = median[f"flask {step}"], median[f"raw {step}"]
        own = max(flask - noop, 0.0)
        print(f"  {step:<10} {flask:>8.4f}s {raw:>8.4f}s {flask / raw:>9.2f}x {own / raw:>7.2f}x")
    print(f"  {'noop':<10} {noop:>8.4f}s   (Alembic's fixed cost per run; own = flask - noop)")


def compare_sizes(name: str, build: Callable, small: int, large: int, repeat: int) -> None:
    """Measure at a small and a large table: an O(1) step takes as long at both."""
    medians = {}
    for posts in (small, large):
        start = time.perf_counter()
        engine = build(posts)
        print(f"\n{name}: built {posts:,} posts in {time.perf_counter() - start:.1f}s")
        try:
            medians[posts] = measure(engine, repeat)
        finally:
            engine.close()
        report(name, posts, repeat, medians[posts])
    for step in ("upgrade", "downgrade"):
        growth = medians[large][f"flask {step}"] / medians[small][f"flask {step}"]
        print(f"  {step} through flask at {large:,} vs {small:,} posts: {growth:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=1_000, help="the table to compare with")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"SQLite {sqlite3.sqlite_version}")

    with tempfile.TemporaryDirectory(prefix="blog-bench-") as directory:

        def sqlite(posts: int) -> SQLite:
            path = Path(directory) / str(posts)
            path.mkdir()
            return SQLite(posts, path)

        compare_sizes("sqlite", sqlite, args.small, args.posts, args.repeat)

    server_url = os.environ.get(
        "BENCH_POSTGRESQL_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    if not reachable(server_url):
        print("\npostgresql: not reachable, not measured")
        return
    compare_sizes(
        "postgresql",
        lambda posts: PostgreSQL(posts, server_url),
        args.small,
        args.posts,
        args.repeat,
    )


if __name__ == "__main__":
    main()
