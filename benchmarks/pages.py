"""The blog's pages under gunicorn, in requests/s, against a bare Flask app; wrk sends the load.

    .venv/bin/python benchmarks/pages.py [--rounds 3] [--duration 5] [--connections 32]
                                        [--posts-large 1000000] [--cache DIR]

The load generator is wrk (Debian package `wrk`: `apt-get install -y wrk`); this script
installs nothing, and stops at once if wrk is missing.

Builds two SQLite databases with `flask db upgrade`, filled with plain SQL: 10,000 and
1,000,000 posts in 20 categories, oldest first. Serves each with gunicorn (`wsgi:app`,
production configuration, 20 posts a page), and benchmarks/hello.py beside them with the same
settings: 2 sync workers on 127.0.0.1, no configuration file of the project's. After a warm-up,
wrk measures each endpoint for a few seconds, the endpoints side by side in each round:

- hello: `/` of the bare app, the ceiling.
- list p1, cache: the post list's first page at 10k posts as production serves it to a
  visitor without a session: from its one-second cache (blog/web/page_cache.py).
- list p1: the same page rendered every time (PAGE_CACHE_SECONDS=0, as for the rest
  below), at 10k and at 1M posts.
- deep page: the oldest posts, at 1M (DEEP_PAGE below).
- detail: `/posts/<slug>` (`post-<n>`), a random post per request, at 10k and at 1M; each
  also counts a read (an UPDATE and a COMMIT).
- detail @1M, warm: the same, with the database file read into the operating system's page
  cache just before each measurement, as on a server whose memory holds its database. Where
  the machine pages out file pages nobody has read for a while (DAMON does so here, after
  about 30 s), plain "detail @1M" reads nearly every post from the disk: both are printed,
  and the target is checked on the warm figure, the state every other endpoint is in (their
  pages are read over and over).

Also measured: each blog worker's peak memory (VmHWM) after the load, and the time of
`flask --app blog db current` against the bare imports it cannot avoid, both in a virtualenv
that holds what `pip install .` brings and nothing else, as production's does (made with
pip the first time; kept in --cache). Timed beside them, with the same command: the blog's
floor (FLOOR_APP: the blog's extensions, models and migrations, and as many URL rules, but
none of its pages), which tells the blog's own code from what it cannot do without; and,
for scale, the Flask-Migrate tutorial's one-file app (one model, one revision). Ratios to
the imports are taken pair by pair, and printed with the middle half of the pairs.

Prints the medians, then the ratios against their targets. Any non-2xx response or socket
error is reported, and makes the exit status 1.
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

ROOT = Path(__file__).resolve().parent.parent
# The oldest page in the keyset scheme: newer than the very beginning.
DEEP_PAGE = "/posts/?newer=0-0"
SMALL = 10_000
CATEGORIES = 20
POSTS_PER_PAGE = "20"
WRK_THREADS = 2
WARMUP_SECONDS = 2
# gunicorn would kill a worker after 30 s; wrk's default of 2 s would count slow pages as
# socket errors, though their responses still arrive.
WRK_TIMEOUT = "30s"
BODY = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
    "incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud "
    "exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. "
)

# Given to gunicorn with -c, so that a gunicorn.conf.py in the working directory is never
# read and every server runs with the command line's settings alone.
GUNICORN_CONFIG = """\
# Written by benchmarks/pages.py.
# gunicorn 25.1+ opens a control socket at one fixed path, which the servers would share.
control_socket_disable = True
"""

# The Flask-Migrate tutorial's one-file app: what `flask db current` costs an app with
# nothing of its own (the CLI, SQLite's driver, Alembic's run), for scale.
TUTORIAL_APP = """\
# Written by benchmarks/pages.py.
from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///{database}"
db = SQLAlchemy(app)
migrate = Migrate(app, db)


class User(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(128))
"""

# The blog's floor: its extensions, models and migrations (env.py included) copied as they
# are, and as many URL rules as it has, but none of its pages, forms, API or commands. What
# `flask db current` costs with the libraries, tables and released revisions the blog cannot
# do without: the rest of the blog's cost is its own code.
FLOOR_MODULES = (
    "extensions.py", "models.py", "rendering.py", "rename_guard.py", "slugs.py", "sqlite.py"
)  # fmt: skip
FLOOR_PACKAGES = ("migrating",)
FLOOR_APP = """\
# Written by benchmarks/pages.py.
import os

from flask import Flask

from blog.extensions import csrf
from blog.extensions import db
from blog.extensions import login_manager
from blog.extensions import migrate

RULES = {rules!r}


def page(**values):
    return "page"


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["TEST_DATABASE_URL"]
    db.init_app(app)
    migrate.init_app(app, db, directory="migrations", render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    for endpoint, rule, methods in RULES:
        app.add_url_rule(rule, endpoint, page, methods=methods)
    return app
"""

# wrk counts only statuses from 400 up; this counts everything that is not 2xx, and prints
# one JSON line for the script. With an argument N, each request asks for the URL's path
# followed by a random id from 1 to N.
WRK_SCRIPT = """\
local threads = {}

function setup(thread)
  thread:set("number", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
  local largest = tonumber(args[1])
  if largest then
    math.randomseed(os.time() + number * 1000003)
    local prefix = wrk.path
    request = function()
      return wrk.format(nil, prefix .. math.random(largest))
    end
  end
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local non2xx = 0
  for _, thread in ipairs(threads) do
    non2xx = non2xx + thread:get("non2xx")
  end
  local errors = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d,'
      .. ' "timeout": %d, "non2xx": %d, "p50_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration, errors.connect, errors.read, errors.write,
    errors.timeout, non2xx, latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass(frozen=True)
class Endpoint:
    name: str
    server: str
    path: str
    random_ids: int = 0  # when set: path + a random id from 1 to this, per request
    warm: bool = False  # read the server's database into the page cache before each run


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


def testing_environment(database: Path) -> dict[str, str]:
    return base_environment() | {
        "BLOG_CONFIG": "testing",
        "TEST_DATABASE_URL": f"sqlite:///{database}",
    }


def run(
    command: list[str], environ: dict[str, str], cwd: Path = ROOT
) -> subprocess.CompletedProcess:
    """Run a command (from the repository root); stop with its output if it fails."""
    completed = subprocess.run(command, cwd=cwd, env=environ, capture_output=True, text=True)
    if completed.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{completed.stdout}{completed.stderr}")
    return completed


def build(database: Path, posts: int) -> None:
    """Migrate a new SQLite file to head with `flask db upgrade`, then fill it with plain SQL."""
    run([*flask_command(), "--app", "blog", "db", "upgrade"], testing_environment(database))
    with closing(sqlite3.connect(database)) as connection, connection:
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


def database(directory: Path, posts: int, cached: bool) -> Path:
    """A database of `posts` posts: built now, or with --cache, reused if it was built before."""
    path = directory / f"posts-{posts}.db"
    start = time.perf_counter()
    if cached and path.exists():
        # A newer revision may have come since: upgrade is a no-op when there is none.
        run([*flask_command(), "--app", "blog", "db", "upgrade"], testing_environment(path))
        with closing(sqlite3.connect(path)) as connection:
            (largest,) = connection.execute("SELECT max(id) FROM posts").fetchone()
        if largest == posts:
            print(f"reused {path} ({posts:,} posts)")
            return path
        path.unlink()  # an interrupted build
    build(path, posts)
    size = path.stat().st_size / 2**20
    print(f"built {posts:,} posts in {time.perf_counter() - start:.1f}s ({size:.0f} MB)")
    return path


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
        self.log = directory / f"gunicorn-{name.replace(' @', '-')}.log"
        config = directory / "gunicorn.conf.py"
        config.write_text(GUNICORN_CONFIG)
        command = [sys.executable, "-m", "gunicorn", "-c", str(config), "-w", "2", "-k", "sync"]
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


def wrk(
    server: Server, endpoint: Endpoint, seconds: int, connections: int, script: Path
) -> Result:
    command = ["wrk", f"-t{min(WRK_THREADS, connections)}", f"-c{connections}"]
    command += [f"-d{seconds}s", "--timeout", WRK_TIMEOUT, "-s", str(script)]
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
    """The tutorial's app (TUTORIAL_APP) with its one revision, upgraded to head."""
    home = directory / "tutorial"
    home.mkdir()
    (home / "app.py").write_text(TUTORIAL_APP.format(database=home / "app.db"))
    flask = [str(venv / "bin" / "flask"), "--app", "app", "db"]
    for step in (["init"], ["migrate", "-m", "users"], ["upgrade"]):
        run([*flask, *step], base_environment(), cwd=home)
    return home


def url_rules(venv: Path, database: Path) -> list[tuple[str, str, list[str]]]:
    """The blog's URL rules as `flask routes` lists them (but Flask's own static one), with
    its `<id:...>` converter swapped for Flask's `<int:...>`."""
    command = [str(venv / "bin" / "flask"), "--app", "blog", "routes"]
    listing = run(command, testing_environment(database)).stdout
    rules = []
    for line in listing.splitlines()[2:]:
        columns = re.fullmatch(r"(\S+)\s+([A-Z, ]+?)\s+(\S+)\s*", line)
        if columns is None:
            sys.exit(f"flask routes printed a line this script cannot read: {line!r}")
        endpoint, methods, rule = columns.groups()
        if endpoint != "static":
            rule = rule.replace("<id:", "<int:").replace("<slug:", "<string:")
            rules.append((endpoint, rule, methods.split(", ")))
    return rules


def floor_app(directory: Path, venv: Path, database: Path) -> Path:
    """The blog's floor (FLOOR_APP), beside the blog's own migrations."""
    home = directory / "floor"
    (home / "blog").mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__")
    for name in FLOOR_MODULES:
        shutil.copyfile(ROOT / "blog" / name, home / "blog" / name)
    for name in FLOOR_PACKAGES:
        shutil.copytree(ROOT / "blog" / name, home / "blog" / name, ignore=ignore)
    rules = url_rules(venv, database)
    (home / "blog" / "__init__.py").write_text(FLOOR_APP.format(rules=rules))
    shutil.copytree(ROOT / "migrations", home / "migrations", ignore=ignore)
    return home


def command_seconds(
    repeat: int, database: Path, venv: Path, tutorial: Path, floor: Path
) -> dict[str, tuple[float, float, float, float]]:
    """`flask db current` of the blog, of its floor and of the tutorial's app, and the
    imports the blog cannot avoid, run by turns in `venv`: for each, the median time, and
    the median and quartiles of its ratio to the imports run just before it, which a
    machine that slows down meanwhile does not move."""
    flask = str(venv / "bin" / "flask")
    commands = {
        "imports": (
            [
                str(venv / "bin" / "python"),
                "-c",
                "import flask, flask_sqlalchemy, flask_migrate, alembic",
            ],
            ROOT,
        ),
        "blog": ([flask, "--app", "blog", "db", "current"], ROOT),
        "floor": ([flask, "--app", "blog", "db", "current"], floor),
        "tutorial": ([flask, "--app", "app", "db", "current"], tutorial),
    }
    environ = testing_environment(database)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for i in range(repeat + 1):
        for name, (command, cwd) in commands.items():
            start = time.perf_counter()
            run(command, environ, cwd)
            if i:  # the first of each fills the disk cache and writes bytecode
                times[name].append(time.perf_counter() - start)
    measured = {}
    for name, seconds in times.items():
        ratios = [s / i for s, i in zip(seconds, times["imports"], strict=True)]
        low, middle, high = statistics.quantiles(ratios, n=4)
        measured[name] = (statistics.median(seconds), middle, low, high)
    return measured


def revision() -> str:
    """The commit measured, and whether the tree had changes on top of it."""
    with suppress(OSError, subprocess.CalledProcessError):
        command = ["git", "describe", "--always", "--dirty=+uncommitted changes"]
        return subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    return "an unknown commit"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--posts-large", type=int, default=1_000_000)
    parser.add_argument("--command-repeat", type=int, default=21, help="for `flask db current`")
    parser.add_argument(
        "--cache", type=Path, help="build the databases here once and reuse them (default: anew)"
    )
    args = parser.parse_args()
    if args.posts_large <= SMALL:
        parser.error(f"--posts-large: must be more than the small database's {SMALL:,}")
    if shutil.which("wrk") is None:
        sys.exit("wrk, the load generator, is not installed: apt-get install -y wrk")

    small, large = short(SMALL), short(args.posts_large)
    blog_small, blog_large = f"blog @{small}", f"blog @{large}"  # the servers, uncached
    blog_cached = f"blog @{small}, cache"  # production's default: the list cached for 1 s
    # A server of its own, on a copy of the file: reading one file into the page cache must
    # not warm the other.
    blog_warm = f"blog @{large}, warm"
    endpoints = [
        Endpoint("hello", "hello", "/"),
        Endpoint(f"list p1 @{small}, cache", blog_cached, "/posts/"),
        Endpoint(f"list p1 @{small}", blog_small, "/posts/"),
        Endpoint(f"list p1 @{large}", blog_large, "/posts/"),
        Endpoint(f"deep page @{large}", blog_large, DEEP_PAGE),
        Endpoint(f"detail @{small}", blog_small, "/posts/post-", random_ids=SMALL),
        Endpoint(f"detail @{large}", blog_large, "/posts/post-", random_ids=args.posts_large),
        Endpoint(
            f"detail @{large}, warm",
            blog_warm,
            "/posts/post-",
            random_ids=args.posts_large,
            warm=True,
        ),
    ]
    print(f"blog at {revision()}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs")
    daemon = page_out_daemon()
    if daemon:
        print(f"{daemon}: file pages not read for a while leave the page cache on their own")

    with tempfile.TemporaryDirectory(prefix="blog-bench-http-") as temporary:
        directory = Path(temporary)
        if args.cache:
            args.cache.mkdir(parents=True, exist_ok=True)
        databases = {
            blog_small: database(args.cache or directory, SMALL, bool(args.cache)),
            blog_large: database(args.cache or directory, args.posts_large, bool(args.cache)),
        }
        databases[blog_warm] = directory / f"posts-{args.posts_large}-warm.db"
        shutil.copyfile(databases[blog_large], databases[blog_warm])

        venv = production_venv(args.cache or directory)
        tutorial = tutorial_app(directory, venv)
        floor = floor_app(directory, venv, databases[blog_small])
        command = command_seconds(
            args.command_repeat, databases[blog_small], venv, tutorial, floor
        )
        print(
            f"flask db current: the blog's {command['blog'][0]:.3f}s, its floor's"
            f" {command['floor'][0]:.3f}s, the tutorial's app's {command['tutorial'][0]:.3f}s;"
            f" bare imports {command['imports'][0]:.3f}s (medians of {args.command_repeat},"
            " in a venv with the blog's dependencies only)"
        )

        script = directory / "count.lua"
        script.write_text(WRK_SCRIPT)
        servers: dict[str, Server] = {}
        try:
            servers["hello"] = Server(
                "hello", "benchmarks.hello:app", base_environment(), directory
            )
            for name, path, cache in (
                (blog_cached, databases[blog_small], "1"),
                (blog_small, databases[blog_small], "0"),
                (blog_large, databases[blog_large], "0"),
                (blog_warm, databases[blog_warm], "0"),
            ):
                blog = base_environment() | {
                    "BLOG_CONFIG": "production",
                    "DATABASE_URL": f"sqlite:///{path}",
                    "SECRET_KEY": secrets.token_hex(32),
                    "POSTS_PER_PAGE": POSTS_PER_PAGE,
                    # Everything but the cached server renders every page: what the
                    # database and the templates cost, as the table grows.
                    "PAGE_CACHE_SECONDS": cache,
                }
                servers[name] = Server(name, "wsgi:app", blog, directory)
            for server in servers.values():
                server.wait()
            problems = preflight(servers, endpoints, args.posts_large)
            results = measure(servers, endpoints, args, script, databases)
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

    failed = report(endpoints, results, memory, command, problems, args.rounds)
    sys.exit(1 if failed else 0)


def measure(
    servers: dict[str, Server],
    endpoints: list[Endpoint],
    args: argparse.Namespace,
    script: Path,
    databases: dict[str, Path],
) -> dict[str, list[Result]]:
    """A warm-up of each endpoint, then rounds of all of them, each round in a rotated order."""
    print(
        f"wrk: {min(WRK_THREADS, args.connections)} threads, {args.connections} connections,"
        f" {args.duration}s per measurement, {args.rounds} round(s);"
        " gunicorn: 2 sync workers per app"
    )
    results: dict[str, list[Result]] = {endpoint.name: [] for endpoint in endpoints}
    for endpoint in endpoints:
        if endpoint.warm:
            read_into_page_cache(databases[endpoint.server])
        warmup = wrk(servers[endpoint.server], endpoint, WARMUP_SECONDS, args.connections, script)
        results[endpoint.name].append(warmup)  # kept for its errors; left out of the medians
    for number in range(args.rounds):
        # Rotated, so no endpoint always runs first, right after another one's load.
        shift = number % len(endpoints)
        for endpoint in endpoints[shift:] + endpoints[:shift]:
            server = servers[endpoint.server]
            if endpoint.warm:
                read_into_page_cache(databases[endpoint.server])
            result = wrk(server, endpoint, args.duration, args.connections, script)
            results[endpoint.name].append(result)
            errors = result.non2xx + result.socket_errors
            print(
                f"  round {number + 1}: {endpoint.name:<21} {result.rate:8.1f} req/s"
                f"  p50 {result.p50_us / 1000:7.1f} ms" + (f"  ERRORS: {errors}" if errors else "")
            )
    return results


def report(
    endpoints: list[Endpoint],
    results: dict[str, list[Result]],
    memory: dict[str, list[float]],
    command: dict[str, tuple[float, float]],
    problems: list[str],
    rounds: int,
) -> bool:
    """Print the table, the ratios and every error; True if anything went wrong."""
    rate = {name: statistics.median(r.rate for r in runs[1:]) for name, runs in results.items()}
    print(f"\n{'endpoint':<21} {'req/s':>8} {'min':>8} {'max':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for endpoint in endpoints:
        runs = results[endpoint.name][1:]
        rates = [r.rate for r in runs]
        p50 = statistics.median(r.p50_us for r in runs) / 1000
        p99 = statistics.median(r.p99_us for r in runs) / 1000
        print(
            f"{endpoint.name:<21} {rate[endpoint.name]:8.1f} {min(rates):8.1f} {max(rates):8.1f}"
            f" {p50:8.1f} {p99:8.1f}"
        )
    plural = "s" if rounds > 1 else ""
    print(f"(median of {rounds} round{plural}; p50/p99: wrk's latency, median over the rounds)")

    def ratio(top: str, bottom: str) -> tuple[float, str]:
        """The median over the rounds of top / bottom, the two measured in the same round
        (within a minute), so a machine that slows down between rounds cancels out; and
        the range over the rounds."""
        ratios = [
            t.rate / b.rate for t, b in zip(results[top][1:], results[bottom][1:], strict=True)
        ]
        return statistics.median(ratios), f"({min(ratios):.2f}-{max(ratios):.2f})"

    names = [endpoint.name for endpoint in endpoints]
    hello, list_cached, list_small, list_large, deep, detail_small, detail_large, detail_warm = (
        names
    )
    print(f"\n{'ratio, median of the rounds':<34} {'value':>9} {'target':>9}  range")
    rendered, spread = ratio(list_small, hello)
    print(
        f"{list_small + ' / ' + hello:<34} {rendered:9.3f} {'':>9}  {spread} every page rendered"
    )
    cold, spread = ratio(detail_large, hello)
    print(f"{detail_large + ' / ' + hello:<34} {cold:9.3f} {'':>9}  {spread} page cache as found")
    for top, bottom, target in (
        (list_cached, hello, 0.5),
        (list_large, list_small, 0.8),
        (deep, list_large, 0.5),
        (detail_small, hello, 0.3),
        (detail_warm, hello, 0.3),
    ):
        value, spread = ratio(top, bottom)
        verdict = "met" if value >= target else "NOT MET"
        print(
            f"{top + ' / ' + bottom:<34} {value:9.3f} {'>= ' + str(target):>9}  {spread} {verdict}"
        )
    blog = [mb for name, peaks in memory.items() if name != "hello" for mb in peaks]
    verdict = "met" if max(blog) <= 80 else "NOT MET"
    label = f"blog worker peak RSS (max of {len(blog)})"
    print(f"{label:<34} {max(blog):6.1f} MB {'<= 80 MB':>9}  {verdict}")
    _, slower, low, high = command["blog"]
    verdict = "met" if slower <= 1.2 else "NOT MET"
    label = "flask db current / bare imports"
    print(f"{label:<34} {slower:9.3f} {'<= 1.2':>9}  ({low:.2f}-{high:.2f}) {verdict}")
    for name, label in (
        ("floor", "  the blog's floor (FLOOR_APP)"),
        ("tutorial", "  the tutorial's app, for scale"),
    ):
        _, value, low, high = command[name]
        print(f"{label:<34} {value:9.3f} {'':>9}  ({low:.2f}-{high:.2f}) no target")
    print("peak RSS per worker, MB (VmHWM after the load; hello for comparison):")
    for name, peaks in memory.items():
        print(f"  {name:<10} {', '.join(f'{mb:.1f}' for mb in peaks)}")

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


if __name__ == "__main__":
    main()
