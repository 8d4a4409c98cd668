"""The blog's pages under gunicorn, in requests/s, against a bare Flask app; wrk sends the load.

    .venv/bin/python benchmarks/pages.py [--rounds 3] [--duration 5] [--connections 32]
        [--engines sqlite,postgresql] [--postgresql-url URL] [--posts-large 1000000]
        [--cache DIR]

The load generator is wrk (Debian package `wrk`: `apt-get install -y wrk`); this script
installs nothing, and stops at once if wrk is missing.

Engines: SQLite, and PostgreSQL when a server answers at --postgresql-url (default:
BENCH_POSTGRESQL_URL, else this machine's postgresql://postgres@127.0.0.1:5432/postgres);
--engines picks them. On each, builds two databases with `flask db upgrade`, filled with
plain SQL: 10,000 and 1,000,000 posts in 20 categories, oldest first, a minute apart.
SQLite's are files; PostgreSQL's are databases of their own, blog_bench_<posts>, made anew,
then vacuumed and analyzed, and dropped at the end. With --cache, SQLite's files are kept
in DIR and PostgreSQL's databases on the server, and both are reused when they hold the
right posts once upgraded.

Serves each database with gunicorn (`wsgi:app`, production configuration, 20 posts a page),
and benchmarks/hello.py beside them with the same settings: 2 sync workers on 127.0.0.1,
benchmarks/gunicorn_config.py and no configuration file of the project's. After a warm-up,
wrk (with benchmarks/wrk_count.lua) measures each endpoint for a few seconds; each round
runs every endpoint of every engine once, hello included, in a rotated order. The endpoints,
named after their engine ("sqlite detail @10k", "pg detail @10k"):

- hello: `/` of the bare app, the ceiling, one for both engines.
- list p1, cache: the post list's first page at 10k posts as production serves it to a
  visitor without a session: from its one-second cache (blog/web/page_cache.py).
- list p1: the same page rendered every time (PAGE_CACHE_SECONDS=0, as for the rest
  below), at 10k and at 1M posts.
- tutorial list, tutorial detail: the list's first page and a random post's page at 10k
  as the Flask tutorial would write them (benchmarks/apps/tutorial_pages.py: the same
  queries and HTML through the bare driver, and none of the blog's features, a read count
  included), for what the pages themselves cost; the blog's rendered list
  is checked against it (0.6, the target proposed in place of 0.37 of hello-world).
- deep page: the oldest posts, at 1M (DEEP_PAGE below).
- detail: `/posts/<slug>` (`post-<n>`), a random post per request, at 10k and at 1M; each
  also counts a read (in the worker, written in batches: blog/posts/reads.py).
- detail @1M, warm (SQLite only): the same, with the database file read into the operating
  system's page cache just before each measurement, as on a server whose memory holds its
  database. Where the machine pages out file pages nobody has read for a while (DAMON does
  so here, after about 30 s), plain "sqlite detail @1M" reads nearly every post from the
  disk: both are printed, and the target is checked on the warm figure, the state every
  other endpoint is in (their pages are read over and over). PostgreSQL has no such
  variant: what it keeps in memory is its shared buffers' business and the page cache's,
  so "pg detail @1M" is measured as it is, and its target checked on it.

Also measured: each blog worker's peak memory (VmHWM) after the load, and the time of
`flask --app blog db current` (on the SQLite database at 10k, whatever the engines) against
the bare imports it cannot avoid, both in a virtualenv that holds what `pip install .`
brings and nothing else, as production's does (made with pip the first time; kept in
--cache). Timed beside them, with the same command: the blog's floor
(benchmarks/apps/floor.py: the blog's extensions, models and migrations, and as many URL
rules, but none of its pages), which tells the blog's own code from what it cannot do
without; and, for scale, the Flask-Migrate tutorial's one-file app
(benchmarks/apps/tutorial.py: one model, one revision). Ratios to the imports are taken pair
by pair, and printed with the middle half of the pairs; they have no target.

Prints the medians, then per engine the ratios and the workers' peak memory against their
targets. Any non-2xx response or socket error is reported, and makes the exit status 1.
"""

# The app, the migrations and the servers run as subprocesses from the repository root, so
# that what is measured is what production runs.
import argparse
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from config import with_driver

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
WRK_SCRIPT = HERE / "wrk_count.lua"
GUNICORN_CONFIG = HERE / "gunicorn_config.py"
TUTORIAL_APP = HERE / "apps" / "tutorial.py"
FLOOR_APP = HERE / "apps" / "floor.py"
TUTORIAL_PAGES_APP = "benchmarks.apps.tutorial_pages:app"
# The oldest page in the keyset scheme: newer than the very beginning.
DEEP_PAGE = "/posts/?newer=0-0"
DETAIL = "/posts/post-"  # followed by a random post's number
SMALL = 10_000
CATEGORIES = 20
POSTS_PER_PAGE = "20"
WRK_THREADS = 2
WARMUP_SECONDS = 2
# gunicorn would kill a worker after 30 s; wrk's default of 2 s would count slow pages as
# socket errors, though their responses still arrive.
WRK_TIMEOUT = "30s"
WORKER_MB = 80  # the target for a blog worker's peak memory
ENGINES = {"sqlite": "sqlite", "postgresql": "pg"}  # --engines' names: the endpoints' prefixes
POSTGRESQL_URL = os.environ.get(
    "BENCH_POSTGRESQL_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BODY = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
    "incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud "
    "exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. "
)

# The blog's floor: its extensions, models and migrations copied as they are, beside
# benchmarks/apps/floor.py. What `flask db current` costs with the libraries, tables and
# released revisions the blog cannot do without: the rest of the blog's cost is its own code.
FLOOR_MODULES = ("extensions.py", "models.py", "rendering.py", "slugs.py", "sqlite.py")
FLOOR_PACKAGES = ("migrating",)


@dataclass(frozen=True)
class Endpoint:
    name: str
    server: str
    path: str
    random_ids: int = 0  # when set: path + a random id from 1 to this, per request
    warm: Path | None = None  # a file to read into the page cache before each run


@dataclass(frozen=True)
class Plan:
    """One engine's servers (each with its DATABASE_URL and PAGE_CACHE_SECONDS) and its
    endpoints, by role."""

    engine: str  # "sqlite" or "pg": the start of every server's and endpoint's name
    servers: dict[str, tuple[str, str]]
    endpoints: dict[str, Endpoint]
    # The same pages the tutorial's way (benchmarks/apps/tutorial_pages.py): server
    # name, database URL.
    tutorial: tuple[str, str]


@dataclass(frozen=True)
class Result:
    """One wrk run."""

    requests: int
    duration_us: int
    connect: int
    read: int
    write: int
    timeout: int
    non2xx: int
    p50_us: int
    p99_us: int

    @property
    def rate(self) -> float:
        return self.requests / (self.duration_us / 1e6)

    @property
    def socket_errors(self) -> int:
        return self.connect + self.read + self.write + self.timeout


def short(number: int) -> str:
    """10000 -> 10k, 1000000 -> 1M."""
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if number % size == 0:
            return f"{number // size}{suffix}"
    return f"{number:,}"


def flask_command() -> list[str]:
    """The `flask` script of this interpreter, as a user types it."""
    script = Path(sys.executable).with_name("flask")
    return [str(script)] if script.exists() else [sys.executable, "-m", "flask"]


def base_environment() -> dict[str, str]:
    environ = dict(os.environ)
    environ.pop("GUNICORN_CMD_ARGS", None)  # would add settings behind the command line's back
    # An installed app has its bytecode, as the installed packages it is compared with do;
    # without it, the blog's own modules would be compiled again at every `flask` command.
    environ.pop("PYTHONDONTWRITEBYTECODE", None)
    return environ


def testing_environment(database_url: str) -> dict[str, str]:
    return base_environment() | {"BLOG_CONFIG": "testing", "TEST_DATABASE_URL": database_url}


def blog_environment(database_url: str, page_cache_seconds: str) -> dict[str, str]:
    """What a production server of the blog is given."""
    return base_environment() | {
        "BLOG_CONFIG": "production",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_hex(32),
        "POSTS_PER_PAGE": POSTS_PER_PAGE,
        "PAGE_CACHE_SECONDS": page_cache_seconds,
    }


def run(
    command: list[str], environ: dict[str, str], cwd: Path = ROOT
) -> subprocess.CompletedProcess:
    """Run a command (from the repository root); stop with its output if it fails."""
    completed = subprocess.run(command, cwd=cwd, env=environ, capture_output=True, text=True)
    if completed.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{completed.stdout}{completed.stderr}")
    return completed


def upgrade(database_url: str) -> None:
    """`flask db upgrade`, as a user runs it, on the testing configuration's database."""
    run([*flask_command(), "--app", "blog", "db", "upgrade"], testing_environment(database_url))


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def build_sqlite(path: Path, posts: int) -> None:
    """Migrate a new SQLite file to head with `flask db upgrade`, then fill it with plain SQL."""
    upgrade(sqlite_url(path))
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
            f" WHERE i < {CATEGORIES})"
            " INSERT INTO categories (id, name, created_at)"
            " SELECT i, 'Category ' || i, '2020-01-01 00:00:00' FROM n"
        )
        connection.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
            f" WHERE i < {posts})"
            " INSERT INTO posts (id, title, slug, body, created_at, updated_at, category_id)"
            " SELECT i, 'Post ' || i, 'post-' || i, ? || i,"
            " datetime('2020-01-01', '+' || i || ' minutes'),"
            f" datetime('2020-01-01', '+' || i || ' minutes'), i % {CATEGORIES} + 1 FROM n",
            (BODY,),
        )


def copy_sqlite(source: Path, destination: Path) -> None:
    """A consistent copy, through SQLite's backup API: a copy of the file alone would miss
    what its WAL holds, or catch it halfway through a checkpoint."""
    with (
        closing(sqlite3.connect(source)) as original,
        closing(sqlite3.connect(destination)) as copy,
    ):
        original.backup(copy)


def sqlite_database(directory: Path, posts: int, cached: bool) -> Path:
    """A SQLite file of `posts` posts: built now, or with --cache, reused if it was built
    before."""
    path = directory / f"posts-{posts}.db"
    start = time.perf_counter()
    if cached and path.exists():
        # A newer revision may have come since: upgrade is a no-op when there is none.
        upgrade(sqlite_url(path))
        with closing(sqlite3.connect(path)) as connection:
            (largest,) = connection.execute("SELECT max(id) FROM posts").fetchone()
        if largest == posts:
            print(f"reused {path} ({posts:,} posts)")
            return path
        path.unlink()  # an interrupted build
    build_sqlite(path, posts)
    size = path.stat().st_size / 2**20
    print(f"built {posts:,} posts on SQLite in {time.perf_counter() - start:.1f}s ({size:.0f} MB)")
    return path


def postgresql_problem(server: str) -> str | None:
    """Why the PostgreSQL server at `server` cannot be used, or None if it answers."""
    shown = sa.make_url(server).render_as_string()  # its password hidden
    try:
        engine = sa.create_engine(with_driver(server), connect_args={"connect_timeout": 3})
    except ImportError:
        return "psycopg, PostgreSQL's driver, is not installed (make .venv/.installed-test)"
    try:
        with engine.connect():
            return None
    except sa.exc.SQLAlchemyError:
        return f"PostgreSQL does not answer at {shown}"
    finally:
        engine.dispose()


class PostgreSQL:
    """The server at --postgresql-url: a database per size, blog_bench_<posts>, made and
    dropped through its URL's account."""

    def __init__(self, server: str) -> None:
        self.server = sa.make_url(server)
        self.admin = sa.create_engine(with_driver(server), isolation_level="AUTOCOMMIT")
        self.made: list[str] = []

    def url(self, name: str) -> str:
        """A plain postgresql:// URL, as the blog is given one (config.py adds the driver)."""
        return self.server.set(database=name).render_as_string(hide_password=False)

    def execute(self, sql: str) -> list[sa.Row]:
        with self.admin.connect() as connection:
            result = connection.exec_driver_sql(sql)
            return result.all() if result.returns_rows else []

    def version(self) -> str:
        return self.execute("SHOW server_version")[0][0]

    def database(self, posts: int, cached: bool) -> str:
        """The URL of a database of `posts` posts: built now, or with --cache, reused if it
        was built before."""
        name = f"blog_bench_{posts}"
        url = self.url(name)
        start = time.perf_counter()
        if cached and self.execute(f"SELECT 1 FROM pg_database WHERE datname = '{name}'"):
            upgrade(url)  # a no-op unless a newer revision came since
            if largest_post(url) == posts:
                print(f"reused PostgreSQL database {name} ({posts:,} posts)")
                return url
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.execute(f'CREATE DATABASE "{name}"')
        if not cached:
            self.made.append(name)
        upgrade(url)
        fill_postgresql(url, posts)
        (size,) = self.execute(f"SELECT pg_database_size('{name}')")[0]
        print(
            f"built {posts:,} posts on PostgreSQL in {time.perf_counter() - start:.1f}s"
            f" ({size / 2**20:.0f} MB)"
        )
        return url

    def close(self) -> None:
        """Drop the databases made for this run alone (not those kept for --cache)."""
        for name in self.made:
            self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.dispose()


def largest_post(url: str) -> int | None:
    engine = sa.create_engine(with_driver(url))
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql("SELECT max(id) FROM posts").scalar()
    finally:
        engine.dispose()


def fill_postgresql(url: str, posts: int) -> None:
    """The same rows as build_sqlite's, in plain SQL; then VACUUM ANALYZE, as a table that
    has lived a while is, so the planner knows its size."""
    engine = sa.create_engine(with_driver(url))
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO categories (id, name, created_at)"
                " SELECT i, 'Category ' || i, timestamp '2020-01-01'"
                " FROM generate_series(1, :categories) AS i"
            ),
            {"categories": CATEGORIES},
        )
        connection.execute(
            sa.text(
                "INSERT INTO posts (id, title, slug, body, created_at, updated_at, category_id)"
                " SELECT i, 'Post ' || i, 'post-' || i, :body || i,"
                " timestamp '2020-01-01' + i * interval '1 minute',"
                " timestamp '2020-01-01' + i * interval '1 minute', i % :categories + 1"
                " FROM generate_series(1, :posts) AS i"
            ),
            {"body": BODY, "categories": CATEGORIES, "posts": posts},
        )
        # The ids were given: the sequences would hand out taken ones to the next writes.
        for table in ("categories", "posts"):
            connection.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
            )
    engine.dispose()
    engine = sa.create_engine(with_driver(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()


def plan(engine: str, urls: dict[int, str], large: int, warm: Path | None = None) -> Plan:
    """Today's endpoints on one engine, its databases given by number of posts; with `warm`
    (SQLite), also the large database's detail page on that copy of its file, kept warm."""
    small_, large_ = short(SMALL), short(large)
    cached = f"{engine} @{small_}, cache"  # production's default: the list cached for 1 s
    small_server, large_server = f"{engine} @{small_}", f"{engine} @{large_}"
    # Everything but the cached server renders every page: what the database and the
    # templates cost, as the table grows.
    servers = {
        cached: (urls[SMALL], "1"),
        small_server: (urls[SMALL], "0"),
        large_server: (urls[large], "0"),
    }
    endpoints = {
        "list cached": Endpoint(f"{engine} list p1 @{small_}, cache", cached, "/posts/"),
        "list small": Endpoint(f"{engine} list p1 @{small_}", small_server, "/posts/"),
        "list large": Endpoint(f"{engine} list p1 @{large_}", large_server, "/posts/"),
        "deep": Endpoint(f"{engine} deep page @{large_}", large_server, DEEP_PAGE),
        "detail small": Endpoint(
            f"{engine} detail @{small_}", small_server, DETAIL, random_ids=SMALL
        ),
        "detail large": Endpoint(
            f"{engine} detail @{large_}", large_server, DETAIL, random_ids=large
        ),
    }
    tutorial = f"{engine} tutorial @{small_}"
    endpoints["tutorial list"] = Endpoint(f"{engine} tutorial list @{small_}", tutorial, "/")
    endpoints["tutorial detail"] = Endpoint(
        f"{engine} tutorial detail @{small_}", tutorial, DETAIL, random_ids=SMALL
    )
    if warm:
        # A server of its own, on a copy of the file: reading one file into the page cache
        # must not warm the other.
        warm_server = f"{engine} @{large_}, warm"
        servers[warm_server] = (sqlite_url(warm), "0")
        endpoints["detail warm"] = Endpoint(
            f"{engine} detail @{large_}, warm", warm_server, DETAIL, random_ids=large, warm=warm
        )
    return Plan(engine, servers, endpoints, (tutorial, urls[SMALL]))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(port: int, path: str) -> tuple[int, bytes]:
    """One GET over HTTP/1.0: the status and the body."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as connection:
        connection.sendall(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    return int(head.split(None, 2)[1]), body


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid`: a gunicorn master's workers."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        # The command name, in parentheses, may hold anything: the fields after it are fixed.
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def read_into_page_cache(database: Path) -> None:
    """Read the database file (and its WAL) once, so that the kernel caches every page."""
    for path in (database, database.with_name(database.name + "-wal")):
        with suppress(FileNotFoundError), open(path, "rb", buffering=0) as file:
            while file.read(1 << 20):
                pass


def page_out_daemon() -> str | None:
    """What pages out this machine's unread file pages on its own, if anything: DAMON's
    kernel threads, when some are on."""
    states = Path("/sys/kernel/mm/damon/admin/kdamonds").glob("*/state")
    with suppress(OSError):
        if any(state.read_text().strip() == "on" for state in states):
            return "DAMON (kdamond) is on"
    return None


def peak_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


class Server:
    """gunicorn serving `app` from the repository root, with the command line's settings only."""

    def __init__(self, name: str, app: str, environ: dict[str, str], directory: Path) -> None:
        self.name = name
        self.port = free_port()
        self.log = directory / ("gunicorn-" + re.sub(r"\W+", "-", name) + ".log")
        command = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONFIG)]
        command += ["-w", "2", "-k", "sync"]
        command += ["-b", f"127.0.0.1:{self.port}", app]
        with open(self.log, "wb") as log:
            # The blog prints a line per request on stdout: that would be measured too.
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=environ, stdout=subprocess.DEVNULL, stderr=log
            )
        self.workers: list[int] = []

    def wait(self) -> None:
        """Until the port answers and a worker has served a request."""
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = self.log.read_text(errors="replace")
                sys.exit(f"gunicorn for {self.name} did not start:\n{log[-3000:]}")
            with suppress(OSError):
                get(self.port, "/")
                break
            time.sleep(0.2)
        while len(self.workers) < 2 and time.monotonic() < deadline:
            self.workers = children(self.process.pid)
            time.sleep(0.1)

    def stop(self) -> None:
        workers = children(self.process.pid)
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for pid in workers:  # a master that was killed leaves its workers behind
            with suppress(ProcessLookupError):
                os.kill(pid, 9)


def wrk(server: Server, endpoint: Endpoint, seconds: int, connections: int) -> Result:
    command = ["wrk", f"-t{min(WRK_THREADS, connections)}", f"-c{connections}"]
    command += [f"-d{seconds}s", "--timeout", WRK_TIMEOUT, "-s", str(WRK_SCRIPT)]
    command.append(f"http://127.0.0.1:{server.port}{endpoint.path}")
    if endpoint.random_ids:
        command += ["--", str(endpoint.random_ids)]
    completed = subprocess.run(command, capture_output=True, text=True)
    for line in completed.stdout.splitlines():
        if line.startswith("RESULT "):
            return Result(**json.loads(line.removeprefix("RESULT ")))
    sys.exit(f"{' '.join(command)} failed:\n{completed.stdout}{completed.stderr}")


def preflight(servers: dict[str, Server], endpoints: list[Endpoint], large: int) -> list[str]:
    """One request to each endpoint before the load: what is wrong with the URLs themselves."""
    problems = []
    for endpoint in endpoints:
        path = endpoint.path + ("1" if endpoint.random_ids else "")
        status, body = get(servers[endpoint.server].port, path)
        if status != 200:
            problems.append(f"{endpoint.name}: {path} answers HTTP {status}")
        elif endpoint.path == DEEP_PAGE and (
            not re.search(rb"/posts/post-1(?!\d)", body)
            or re.search(rb"/posts/post-%d(?!\d)" % large, body)
        ):
            problems.append(
                f"{endpoint.name}: {path} does not show the oldest posts (post 1) alone:"
                " the deep-page figure measures some other page"
            )
    return problems


def production_venv(directory: Path) -> Path:
    """A virtualenv holding the blog as production installs it (`pip install .`): its own
    dependencies only, compiled to bytecode. At every command Flask's CLI reads the entry
    points of every installed distribution, looking for plugins; the test venv, with the
    test tools, holds twice as many, which would charge the blog for what the tests need.
    Made anew when pyproject.toml has changed since it was made."""
    venv = directory / "production-venv"
    python = venv / "bin" / "python"
    stamp = venv / "pyproject.sha256"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not python.exists() or not stamp.exists() or stamp.read_text() != wanted:
        shutil.rmtree(venv, ignore_errors=True)
        run([sys.executable, "-m", "venv", str(venv)], base_environment())
        run([str(python), "-m", "pip", "install", "--quiet", str(ROOT)], base_environment())
        stamp.write_text(wanted)
    return venv


def tutorial_app(directory: Path, venv: Path) -> Path:
    """The tutorial's app (benchmarks/apps/tutorial.py) with its one revision, upgraded to
    head."""
    home = directory / "tutorial"
    home.mkdir()
    shutil.copyfile(TUTORIAL_APP, home / "app.py")
    flask = [str(venv / "bin" / "flask"), "--app", "app", "db"]
    for step in (["init"], ["migrate", "-m", "users"], ["upgrade"]):
        run([*flask, *step], base_environment(), cwd=home)
    return home


# Werkzeug's own converters; the floor has none of the blog's (blog/__init__.py registers them).
WERKZEUG_CONVERTERS = {"default", "string", "any", "path", "int", "float", "uuid"}


def werkzeug_converter(match: re.Match[str]) -> str:
    """`<id:` -> `<int:`, and any other converter of the blog's -> `<string:`."""
    name = match[1]
    if name in WERKZEUG_CONVERTERS:
        return match[0]
    return "<int:" if name == "id" else "<string:"


def url_rules(venv: Path, database: Path) -> list[tuple[str, str, list[str]]]:
    """The blog's URL rules as `flask routes` lists them (but Flask's own static one), with
    its own converters swapped for Werkzeug's."""
    command = [str(venv / "bin" / "flask"), "--app", "blog", "routes"]
    listing = run(command, testing_environment(sqlite_url(database))).stdout
    rules = []
    for line in listing.splitlines()[2:]:
        columns = re.fullmatch(r"(\S+)\s+([A-Z, ]+?)\s+(\S+)\s*", line)
        if columns is None:
            sys.exit(f"flask routes printed a line this script cannot read: {line!r}")
        endpoint, methods, rule = columns.groups()
        if endpoint != "static":
            rule = re.sub(r"<(\w+):", werkzeug_converter, rule)
            rules.append((endpoint, rule, methods.split(", ")))
    return rules


def floor_app(directory: Path, venv: Path, database: Path) -> Path:
    """The blog's floor (benchmarks/apps/floor.py), its URL rules in blog/rules.py, beside
    the blog's own migrations."""
    home = directory / "floor"
    (home / "blog").mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__")
    for name in FLOOR_MODULES:
        shutil.copyfile(ROOT / "blog" / name, home / "blog" / name)
    for name in FLOOR_PACKAGES:
        shutil.copytree(ROOT / "blog" / name, home / "blog" / name, ignore=ignore)
    shutil.copyfile(FLOOR_APP, home / "blog" / "__init__.py")
    shutil.copyfile(ROOT / "config.py", home / "config.py")  # blog/extensions.py reads it
    rules = url_rules(venv, database)
    (home / "blog" / "rules.py").write_text(f"RULES = {rules!r}\n")
    shutil.copytree(ROOT / "migrations", home / "migrations", ignore=ignore)
    return home


def command_seconds(
    repeat: int, database: Path, venv: Path, tutorial: Path, floor: Path
) -> dict[str, list[float]]:
    """`flask db current` of the blog, of its floor and of the tutorial's app, and the
    imports the blog cannot avoid, run by turns in `venv`: the seconds of each run."""
    flask = str(venv / "bin" / "flask")
    imports = "import flask, flask_sqlalchemy, flask_migrate, alembic"
    commands = {
        "imports": ([str(venv / "bin" / "python"), "-c", imports], ROOT),
        "blog": ([flask, "--app", "blog", "db", "current"], ROOT),
        "floor": ([flask, "--app", "blog", "db", "current"], floor),
        "tutorial": ([flask, "--app", "app", "db", "current"], tutorial),
    }
    environ = testing_environment(sqlite_url(database))
    times: dict[str, list[float]] = {name: [] for name in commands}
    for i in range(repeat + 1):
        for name, (command, cwd) in commands.items():
            start = time.perf_counter()
            run(command, environ, cwd)
            if i:  # the first of each fills the disk cache and writes bytecode
                times[name].append(time.perf_counter() - start)
    return times


def paired_ratio(times: dict[str, list[float]], top: str, bottom: str) -> tuple[float, str]:
    """The median of top / bottom taken turn by turn, which a machine that slows down
    meanwhile does not move, and the middle half of those ratios."""
    ratios = [t / b for t, b in zip(times[top], times[bottom], strict=True)]
    low, middle, high = statistics.quantiles(ratios, n=4)
    return middle, f"({low:.2f}-{high:.2f})"


def revision() -> str:
    """The commit measured, and whether the tree had changes on top of it."""
    with suppress(OSError, subprocess.CalledProcessError):
        command = ["git", "describe", "--always", "--dirty=+uncommitted changes"]
        return subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    return "an unknown commit"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--engines",
        help="a comma-separated list of sqlite, postgresql (default: both, or SQLite alone"
        " when no PostgreSQL server answers at --postgresql-url)",
    )
    parser.add_argument(
        "--postgresql-url",
        default=POSTGRESQL_URL,
        help="a server account that may create databases (default: %(default)s)",
    )
    parser.add_argument("--posts-large", type=int, default=1_000_000)
    parser.add_argument("--command-repeat", type=int, default=21, help="for `flask db current`")
    parser.add_argument(
        "--cache", type=Path, help="build the databases here once and reuse them (default: anew)"
    )
    args = parser.parse_args()
    if args.posts_large <= SMALL:
        parser.error(f"--posts-large: must be more than the small database's {SMALL:,}")
    if args.engines is not None:
        args.engines = list(dict.fromkeys(name.strip() for name in args.engines.split(",")))
        unknown = [name for name in args.engines if name not in ENGINES]
        if unknown:
            parser.error(f"--engines: choose among {', '.join(ENGINES)}, not {unknown}")
    return args


def chosen_engines(args: argparse.Namespace) -> list[str]:
    """--engines, or both engines when PostgreSQL answers (saying so when it does not)."""
    if args.engines is None:
        problem = postgresql_problem(args.postgresql_url)
        if problem:
            print(f"{problem}: SQLite only")
            return ["sqlite"]
        return list(ENGINES)
    if "postgresql" in args.engines:
        problem = postgresql_problem(args.postgresql_url)
        if problem:
            sys.exit(problem)
    return args.engines


def main() -> None:
    args = arguments()
    if shutil.which("wrk") is None:
        sys.exit("wrk, the load generator, is not installed: apt-get install -y wrk")
    engines = chosen_engines(args)
    postgresql = PostgreSQL(args.postgresql_url) if "postgresql" in engines else None
    versions = [f"SQLite {sqlite3.sqlite_version}"] if "sqlite" in engines else []
    if postgresql:
        versions.append(f"PostgreSQL {postgresql.version()}")
    print(f"blog at {revision()}, {', '.join(versions)}, {os.cpu_count()} CPUs")
    daemon = page_out_daemon()
    if daemon:
        print(f"{daemon}: file pages not read for a while leave the page cache on their own")

    large, cached = args.posts_large, bool(args.cache)
    with tempfile.TemporaryDirectory(prefix="blog-bench-http-") as temporary:
        directory = Path(temporary)
        store = args.cache or directory
        store.mkdir(parents=True, exist_ok=True)
        try:
            # `flask db current` and the floor's URL rules read it, whatever the engines:
            # the production virtualenv has no PostgreSQL driver.
            small_file = sqlite_database(store, SMALL, cached)
            plans = []
            if "sqlite" in engines:
                large_file = sqlite_database(store, large, cached)
                warm = directory / f"posts-{large}-warm.db"
                copy_sqlite(large_file, warm)
                urls = {SMALL: sqlite_url(small_file), large: sqlite_url(large_file)}
                plans.append(plan("sqlite", urls, large, warm))
            if postgresql:
                urls = {posts: postgresql.database(posts, cached) for posts in (SMALL, large)}
                plans.append(plan("pg", urls, large))

            venv = production_venv(store)
            tutorial = tutorial_app(directory, venv)
            floor = floor_app(directory, venv, small_file)
            command = command_seconds(args.command_repeat, small_file, venv, tutorial, floor)
            median = {name: statistics.median(seconds) for name, seconds in command.items()}
            print(
                f"flask db current: the blog's {median['blog']:.3f}s, its floor's"
                f" {median['floor']:.3f}s, the tutorial's app's {median['tutorial']:.3f}s;"
                f" bare imports {median['imports']:.3f}s (medians of {args.command_repeat},"
                " in a venv with the blog's dependencies only)"
            )
            hello = Endpoint("hello", "hello", "/")
            results, memory, problems = load(plans, hello, args, directory)
        finally:
            if postgresql:
                postgresql.close()

    failed = report(plans, hello, results, memory, command, problems, args.rounds)
    sys.exit(1 if failed else 0)


def load(
    plans: list[Plan], hello: Endpoint, args: argparse.Namespace, directory: Path
) -> tuple[dict[str, list[Result]], dict[str, list[float]], list[str]]:
    """Serve hello and every engine's servers, check each endpoint once, measure them all;
    the results, each server's workers' peak memory, and what went wrong."""
    endpoints = [hello] + [endpoint for p in plans for endpoint in p.endpoints.values()]
    servers: dict[str, Server] = {}
    try:
        servers["hello"] = Server("hello", "benchmarks.hello:app", base_environment(), directory)
        for p in plans:
            for name, (url, page_cache_seconds) in p.servers.items():
                environ = blog_environment(url, page_cache_seconds)
                servers[name] = Server(name, "wsgi:app", environ, directory)
            name, url = p.tutorial
            environ = base_environment() | {"TUTORIAL_DATABASE_URL": url}
            servers[name] = Server(name, TUTORIAL_PAGES_APP, environ, directory)
        for server in servers.values():
            server.wait()
        problems = preflight(servers, endpoints, args.posts_large)
        results = measure(servers, endpoints, args)
        memory = {
            name: [peak_mb(pid) for pid in children(server.process.pid)]
            for name, server in servers.items()
        }
        for name, server in servers.items():
            if children(server.process.pid) != server.workers:
                problems.append(f"{name}: a worker was replaced during the load")
    finally:
        for server in servers.values():
            server.stop()
    return results, memory, problems


def measure(
    servers: dict[str, Server], endpoints: list[Endpoint], args: argparse.Namespace
) -> dict[str, list[Result]]:
    """A warm-up of each endpoint, then rounds of all of them, each round in a rotated order."""
    print(
        f"wrk: {min(WRK_THREADS, args.connections)} threads, {args.connections} connections,"
        f" {args.duration}s per measurement, {args.rounds} round(s) of {len(endpoints)}"
        " endpoints; gunicorn: 2 sync workers per app"
    )
    results: dict[str, list[Result]] = {endpoint.name: [] for endpoint in endpoints}
    for endpoint in endpoints:
        if endpoint.warm:
            read_into_page_cache(endpoint.warm)
        warmup = wrk(servers[endpoint.server], endpoint, WARMUP_SECONDS, args.connections)
        results[endpoint.name].append(warmup)  # kept for its errors; left out of the medians
    for number in range(args.rounds):
        # Rotated, so no endpoint always runs first, right after another one's load.
        shift = number % len(endpoints)
        for endpoint in endpoints[shift:] + endpoints[:shift]:
            if endpoint.warm:
                read_into_page_cache(endpoint.warm)
            result = wrk(servers[endpoint.server], endpoint, args.duration, args.connections)
            results[endpoint.name].append(result)
            errors = result.non2xx + result.socket_errors
            print(
                f"  round {number + 1}: {endpoint.name:<28} {result.rate:8.1f} req/s"
                f"  p50 {result.p50_us / 1000:7.1f} ms" + (f"  ERRORS: {errors}" if errors else "")
            )
    return results


# Each engine's ratios: the endpoint, the one it is divided by, the target (None: printed
# for information), and a note.
RATIOS = (
    ("list cached", "hello", 0.5, ""),
    ("list small", "hello", 0.37, "every page rendered"),
    # The page with none of the blog's features measures about 0.35 on SQLite and 0.27 on
    # PostgreSQL (docs/benchmarks.md): the target proposed in place of 0.37 is a ratio to it.
    ("tutorial list", "hello", None, "the same page, the tutorial's way"),
    ("list small", "tutorial list", 0.6, "proposed"),
    ("list large", "list small", 0.8, ""),
    ("deep", "list large", 0.5, ""),
    ("detail small", "hello", 0.3, ""),
    ("tutorial detail", "hello", None, "the same page, the tutorial's way"),
    ("detail small", "tutorial detail", None, ""),
)
# SQLite's detail @1M is checked warm (see the docstring); PostgreSQL's as it is.
DETAIL_RATIOS = {
    "sqlite": (
        ("detail warm", "hello", 0.3, ""),
        ("detail large", "hello", None, "page cache as found"),
    ),
    "pg": (("detail large", "hello", 0.3, "as found"),),
}


def report(
    plans: list[Plan],
    hello: Endpoint,
    results: dict[str, list[Result]],
    memory: dict[str, list[float]],
    command: dict[str, list[float]],
    problems: list[str],
    rounds: int,
) -> bool:
    """Print the table, the ratios and every error; True if anything went wrong."""
    table(hello, plans, results, rounds)
    for p in plans:
        engine_report(p, hello, results, memory)
    command_report(command)
    print("peak RSS per worker, MB (VmHWM after the load; hello for comparison):")
    for name, peaks in memory.items():
        print(f"  {name:<22} {', '.join(f'{mb:.1f}' for mb in peaks)}")

    for name, runs in results.items():
        non2xx = sum(r.non2xx for r in runs)
        sockets = sum(r.socket_errors for r in runs)
        if non2xx or sockets:
            problems.append(
                f"{name}: {non2xx} non-2xx responses, {sockets} socket errors"
                " (warm-up and rounds together)"
            )
    if problems:
        print("\n" + "!" * 79)
        print("!!! THIS RUN HAD ERRORS: its figures are not to be trusted as they stand")
        for problem in problems:
            print(f"!!! {problem}")
        print("!" * 79)
    else:
        print("\nno errors: every response was 2xx, no socket errors")
    return bool(problems)


def round_ratio(results: dict[str, list[Result]], top: str, bottom: str) -> tuple[float, str]:
    """The median over the rounds of top / bottom, the two measured in the same round (a
    minute or two apart), so a machine that slows down between rounds cancels out; and the
    range over the rounds."""
    ratios = [t.rate / b.rate for t, b in zip(results[top][1:], results[bottom][1:], strict=True)]
    return statistics.median(ratios), f"({min(ratios):.2f}-{max(ratios):.2f})"


def engine_report(
    plan: Plan, hello: Endpoint, results: dict[str, list[Result]], memory: dict[str, list[float]]
) -> None:
    """One engine's ratios and its workers' peak memory, against their targets."""
    heading = f"{plan.engine}: ratio, median of the rounds"
    print(f"\n{heading:<36} {'value':>9} {'target':>9}  range")
    for top, bottom, target, note in RATIOS + DETAIL_RATIOS[plan.engine]:
        top_name = plan.endpoints[top].name
        bottom_name = hello.name if bottom == "hello" else plan.endpoints[bottom].name
        value, spread = round_ratio(results, top_name, bottom_name)
        label = f"  {unprefixed(top_name, plan)} / {unprefixed(bottom_name, plan)}"
        if target is None:
            print(f"{label:<36} {value:9.3f} {'':>9}  {spread} {note}")
            continue
        verdict = "met" if value >= target else "NOT MET"
        note = f", {note}" if note else ""
        print(f"{label:<36} {value:9.3f} {'>= ' + str(target):>9}  {spread} {verdict}{note}")
    peaks = [mb for name in plan.servers for mb in memory[name]]
    verdict = "met" if max(peaks) <= WORKER_MB else "NOT MET"
    label = f"  worker peak RSS (max of {len(peaks)})"
    print(f"{label:<36} {max(peaks):6.1f} MB {f'<= {WORKER_MB} MB':>9}  {verdict}")


def command_report(command: dict[str, list[float]]) -> None:
    """`flask db current`'s ratios, for information: the 1.2 target was retired."""
    heading = "flask db current, turn by turn"
    print(f"\n{heading:<36} {'value':>9} {'target':>9}  middle half")
    for top, bottom, label in (
        ("blog", "imports", "the blog / bare imports"),
        ("blog", "floor", "the blog / its floor"),
        ("floor", "imports", "its floor / bare imports"),
        ("tutorial", "imports", "the tutorial's app / bare imports"),
    ):
        value, spread = paired_ratio(command, top, bottom)
        print(f"  {label:<34} {value:9.3f} {'no target':>9}  {spread}")


def unprefixed(name: str, plan: Plan) -> str:
    """An endpoint's name without its engine's, under the engine's heading."""
    return name.removeprefix(plan.engine + " ")


def table(
    hello: Endpoint, plans: list[Plan], results: dict[str, list[Result]], rounds: int
) -> None:
    """Each endpoint's requests per second and latency, the medians over the rounds."""
    print(f"\n{'endpoint':<28} {'req/s':>8} {'min':>8} {'max':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for endpoint in [hello] + [endpoint for p in plans for endpoint in p.endpoints.values()]:
        runs = results[endpoint.name][1:]
        rates = [r.rate for r in runs]
        p50 = statistics.median(r.p50_us for r in runs) / 1000
        p99 = statistics.median(r.p99_us for r in runs) / 1000
        print(
            f"{endpoint.name:<28} {statistics.median(rates):8.1f} {min(rates):8.1f}"
            f" {max(rates):8.1f} {p50:8.1f} {p99:8.1f}"
        )
    plural = "s" if rounds > 1 else ""
    print(f"(median of {rounds} round{plural}; p50/p99: wrk's latency, median over the rounds)")


if __name__ == "__main__":
    main()
