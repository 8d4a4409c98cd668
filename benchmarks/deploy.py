"""A deploy under load: from the previous release to this one, on a million posts, while 32
clients read and write the whole time.

    .venv/bin/python benchmarks/deploy.py [--engine all|postgresql|sqlite] [--posts 1000000]
        [--clients 32] [--baseline 30] [--after 10] [--runs 1] [--previous REF] [--cache DIR]

The previous release is the newest commit whose migrations/versions/ holds fewer revisions
than this checkout (--previous to choose another), taken with `git archive`; this release is
the checkout as it is, uncommitted changes included. Both run from one virtualenv (this
project's .venv, whose packages this release needs, a superset of the previous one's), each
importing its own code from its own directory.

Per engine (PostgreSQL when BENCH_POSTGRESQL_URL, by default this machine's server, answers;
SQLite always), each run:

1. A database migrated and filled by the previous release (`flask db upgrade`, `flask seed
   --posts N`, an author for the API), copied from a template made once (kept in --cache
   for SQLite, as a template database on PostgreSQL).
2. gunicorn serving the previous release (its own gunicorn.conf.py, production config)
   from a `current` symlink, as in docs/zero-downtime.md's procedure. 32 clients, each in a loop: a
   post page (70%, a random post, following a redirect), the list (20%), a post written
   through the API (10%).
3. Phases: `baseline` (no deploy: the latency to compare with), `pre-deploy` (this
   release's `flask deploy` while the previous release serves), `switch` (the symlink
   moved, `kill -USR2`, the new workers ready, `kill -TERM` to the old master), `post-deploy`
   (`flask deploy --post`), `after`.
4. Measured: per phase, requests, failures (a 5xx, a connection error, a timeout, or any
   status a working site would not send) and latency; lost writes (a 201 whose post is not
   there afterwards, with a slug); the longest wait for a lock seen by any query (on
   PostgreSQL, pg_locks sampled every 20 ms: the site's queries, and the migration's own,
   apart); the migration's time, its longest backfill batch and its retries.

Prints a table per run and the targets: 0 failed requests, 0 lost writes, p99 during the
deploy at most the baseline's + 500 ms, on PostgreSQL no site query waiting more than 500
ms for a lock, on SQLite no request over 5 s. The exit status is 1 if a target is missed.
"""

import argparse
import base64
import contextlib
import http.client
import io
import json
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
AUTHOR, PASSWORD = "bench", "a long benchmark password"
PHASES = ("baseline", "pre-deploy", "switch", "post-deploy", "after")
DEPLOY_PHASES = ("pre-deploy", "switch", "post-deploy")
WORKERS = 5  # gunicorn.conf.py's default on this 2-core machine: 2 per core, plus one
REQUEST_TIMEOUT = 30
OK_STATUSES = {"page": {200, 301}, "list": {200}, "write": {201}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=("all", "postgresql", "sqlite"), default="all")
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--baseline", type=float, default=30, help="seconds with no deploy")
    parser.add_argument("--after", type=float, default=10, help="seconds after the deploy")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--previous", help="the previous release (a git revision)")
    parser.add_argument("--cache", type=Path, default=ROOT / "build" / "bench-deploy")
    args = parser.parse_args()

    previous = args.previous or previous_release()
    print(f"previous release: {previous[:12]}; this release: the checkout", flush=True)
    engines = []
    if args.engine in ("all", "postgresql"):
        server = os.environ.get(
            "BENCH_POSTGRESQL_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        )
        if reachable(server):
            engines.append(PostgreSQL(server, args.posts, previous))
        elif args.engine == "postgresql":
            sys.exit(f"PostgreSQL at {server} does not answer")
        else:
            print(f"PostgreSQL at {server} does not answer: SQLite only", flush=True)
    if args.engine in ("all", "sqlite"):
        engines.append(SQLite(args.cache, args.posts, previous))

    missed = []
    with tempfile.TemporaryDirectory(prefix="blog-bench-deploy-") as scratch:
        releases = Releases(Path(scratch), previous)
        for engine in engines:
            engine.prepare(releases)
            for number in range(1, args.runs + 1):
                print(f"\n== {engine.name}, run {number} of {args.runs}", flush=True)
                result = run(engine, releases, args)
                missed += result.report()
            engine.close()
    print("\nAll targets met." if not missed else f"\nMissed: {'; '.join(missed)}")
    sys.exit(1 if missed else 0)


def previous_release() -> str:
    """The newest commit whose migrations/versions/ has fewer revisions than the checkout."""
    here = {path.name for path in (ROOT / "migrations" / "versions").glob("*.py")}
    commits = git("log", "--format=%H").split()
    for commit in commits:
        listed = git("ls-tree", "--name-only", commit, "migrations/versions/").split()
        names = {Path(name).name for name in listed if name.endswith(".py")}
        if names < here:
            return commit
    sys.exit("no commit has fewer revisions than this checkout: give --previous")


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


class Releases:
    """releases/previous (git archive), releases/new (this checkout) and `current`."""

    def __init__(self, directory: Path, previous: str) -> None:
        self.directory = directory / "releases"
        self.previous = self.directory / "previous"
        self.new = self.directory / "new"
        self.current = self.directory / "current"
        self.previous.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "archive", previous], cwd=ROOT, check=True, capture_output=True
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(self.previous, filter="data")
        files = git("ls-files", "-z", "--cached", "--others", "--exclude-standard")
        for name in filter(None, files.split("\0")):
            source = ROOT / name
            if source.is_file():
                (self.new / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, self.new / name)

    def point_current_at(self, release: Path) -> None:
        """Move the symlink in one step, as a deploy does (rename over the old link)."""
        link = self.directory / "current.new"
        link.unlink(missing_ok=True)
        link.symlink_to(release.name)
        link.replace(self.current)


def flask(release: Path, env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    """`flask --app blog ...` with `release`'s code; its stderr comes back too."""
    result = subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "blog", *args],
        cwd=release,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.exit(f"flask {' '.join(args)} failed in {release.name}:\n{result.stderr}")
    return result.stdout + result.stderr


def environment(database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "BLOG_CONFIG": "production",
        "SECRET_KEY": "bench-" + secrets.token_hex(16),
        "DATABASE_URL": database_url,
        "PYTHONDONTWRITEBYTECODE": "",  # compiled once, as a server would
        **extra,
    }


class SQLite:
    name = "SQLite"

    def __init__(self, cache: Path, posts: int, previous: str) -> None:
        self.template = cache / f"deploy-{previous[:12]}-{posts}.db"
        self.posts = posts
        self.database: Path | None = None

    def prepare(self, releases: Releases) -> None:
        if not self.template.exists():
            self.template.parent.mkdir(parents=True, exist_ok=True)
            building = self.template.with_suffix(".building")
            for suffix in ("", "-wal", "-shm"):
                Path(f"{building}{suffix}").unlink(missing_ok=True)
            fill(releases.previous, f"sqlite:///{building}", self.posts)
            with sa.create_engine(f"sqlite:///{building}").connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            building.replace(self.template)

    def fresh(self, directory: Path) -> str:
        self.database = directory / "blog.db"
        shutil.copyfile(self.template, self.database)
        return f"sqlite:///{self.database}"

    def monitor(self) -> "LockMonitor | None":
        return None

    def close(self) -> None:
        pass


class PostgreSQL:
    name = "PostgreSQL"

    def __init__(self, server: str, posts: int, previous: str) -> None:
        self.server = sa.make_url(server.replace("postgresql://", "postgresql+psycopg://", 1))
        self.admin = sa.create_engine(self.server, isolation_level="AUTOCOMMIT")
        self.template = f"blog_bench_deploy_{previous[:12]}_{posts}"
        self.database = "blog_bench_deploy"
        self.posts = posts

    def url(self, database: str, application: str | None = None) -> str:
        url = self.server.set(database=database)
        if application:
            url = url.update_query_dict({"application_name": application})
        return url.render_as_string(hide_password=False)

    def execute(self, sql: str) -> list:
        with self.admin.connect() as connection:
            result = connection.exec_driver_sql(sql)
            return result.all() if result.returns_rows else []

    def prepare(self, releases: Releases) -> None:
        exists = self.execute(f"SELECT 1 FROM pg_database WHERE datname = '{self.template}'")
        if exists:
            return
        building = f"{self.template}_building"
        self.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
        self.execute(f'CREATE DATABASE "{building}"')
        fill(releases.previous, self.url(building), self.posts)
        engine = sa.create_engine(self.url(building), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:  # as a table that has lived a while: vacuumed
            connection.exec_driver_sql("VACUUM ANALYZE")
        engine.dispose()
        self.execute(f'ALTER DATABASE "{building}" RENAME TO "{self.template}"')

    def fresh(self, directory: Path) -> str:
        self.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        self.execute(f'CREATE DATABASE "{self.database}" TEMPLATE "{self.template}"')
        return self.url(self.database)

    def deploy_url(self) -> str:
        """The migration's connections, told apart from the site's in pg_stat_activity."""
        return self.url(self.database, application="flask-deploy")

    def monitor(self) -> "LockMonitor":
        return LockMonitor(self.url(self.database))

    def close(self) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        self.admin.dispose()


def reachable(server: str) -> bool:
    try:
        url = server.replace("postgresql://", "postgresql+psycopg://", 1)
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception:  # any failure to connect means "not here"
        return False
    return True


def fill(release: Path, url: str, posts: int) -> None:
    """The previous release migrates and seeds the database, and makes the API's author."""
    env = environment(url, BLOG_CONFIG="production")
    print(f"building a template of {posts:,} posts with the previous release...", flush=True)
    started = time.monotonic()
    flask(release, env, "db", "upgrade")
    flask(release, env, "seed", "--posts", str(posts), "--categories", "20", "--force")
    flask(release, env, "users", "create", AUTHOR, "--password-stdin", stdin=PASSWORD + "\n")
    print(f"  built in {time.monotonic() - started:.0f} s", flush=True)


class LockMonitor(threading.Thread):
    """PostgreSQL: every 20 ms, every lock request not granted yet, and how long it has
    waited (pg_locks.waitstart); the longest seen, the site's and the migration's apart."""

    QUERY = """
        SELECT a.application_name = 'flask-deploy', l.mode, l.locktype,
               extract(epoch FROM clock_timestamp() - l.waitstart), left(a.query, 120)
        FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid
        WHERE NOT l.granted AND l.waitstart IS NOT NULL AND a.datname = current_database()
    """

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        self.stop = threading.Event()
        self.longest = {False: (0.0, ""), True: (0.0, "")}  # by "is the migration's"

    def run(self) -> None:
        with self.engine.connect() as connection:
            while not self.stop.wait(0.02):
                for migration, mode, kind, waited, query in connection.exec_driver_sql(self.QUERY):
                    if waited is not None and waited > self.longest[migration][0]:
                        self.longest[migration] = (float(waited), f"{mode} ({kind}): {query}")
        self.engine.dispose()


@dataclass
class Request:
    started: float
    kind: str
    seconds: float
    status: int | None  # None: no answer (connection error, timeout)
    error: str = ""


@dataclass
class Load:
    """`clients` threads, each a closed loop of requests on 127.0.0.1:`port`."""

    port: int
    clients: int
    posts: int
    token: str
    requests: list[Request] = field(default_factory=list)
    written: list[int] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        self.threads = [
            threading.Thread(target=self.client, args=(number,), daemon=True)
            for number in range(self.clients)
        ]
        for thread in self.threads:
            thread.start()

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(REQUEST_TIMEOUT + 5)

    def client(self, number: int) -> None:
        rng = random.Random(number)
        sequence = 0
        while not self.stop.is_set():
            started, pick = time.monotonic(), rng.random()
            if pick < 0.7:
                kind, answer = "page", self.page(rng.randint(1, self.posts))
            elif pick < 0.9:
                kind, answer = "list", self.get("/")
            else:
                sequence += 1
                kind, answer = (
                    "write",
                    self.write(f"Written during the deploy {number}-{sequence}"),
                )
            status, error = answer
            self.requests.append(Request(started, kind, time.monotonic() - started, status, error))

    def get(self, path: str) -> tuple[int | None, str]:
        status, _, _, error = self.send("GET", path)
        return status, error

    def page(self, post_id: int) -> tuple[int | None, str]:
        """The post's page, by the URL links out there have: its id (a redirect, from the
        new release, to the slug's URL, which the client follows as a browser would)."""
        status, headers, _, error = self.send("GET", f"/posts/{post_id}")
        if status == 301:
            status, _, _, error = self.send("GET", headers["location"])
            status = 301 if status == 200 else status
        return status, error

    def write(self, title: str) -> tuple[int | None, str]:
        body = json.dumps({"title": title, "body": "Written *while* the site deploys."})
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        status, _, payload, error = self.send("POST", "/api/posts", body, headers)
        if status == 201:
            self.written.append(json.loads(payload)["id"])
        return status, error

    def send(
        self, method: str, path: str, body: str | None = None, headers: dict | None = None
    ) -> tuple[int | None, dict, bytes, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            payload = response.read()
            headers = {name.lower(): value for name, value in response.getheaders()}
            return response.status, headers, payload, ""
        except (OSError, http.client.HTTPException) as error:
            return None, {}, b"", f"{type(error).__name__}: {error}"
        finally:
            connection.close()


class Gunicorn:
    """A gunicorn master started in `current`, its pid file and its log."""

    def __init__(self, releases: Releases, env: dict[str, str], port: int, log: Path) -> None:
        self.pidfile = releases.directory / "gunicorn.pid"
        self.log = log
        env = {
            **env,
            "PORT": str(port),
            "WEB_CONCURRENCY": str(WORKERS),
            "PWD": str(releases.current),
        }
        # gunicorn remembers $PWD, the symlink, and a new master (USR2) starts there again.
        self.process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "wsgi:app", "--pid", str(self.pidfile)],
            cwd=releases.current,
            env=env,
            stdout=subprocess.DEVNULL,  # the access log: one line a request
            stderr=log.open("a"),
            start_new_session=True,
        )

    @property
    def new_pidfile(self) -> Path:
        return self.pidfile.with_name(self.pidfile.name + ".2")

    def master(self) -> int:
        return int(self.pidfile.read_text())

    def masters(self) -> set[int]:
        """Every master's pid: this process's, and one that USR2 started."""
        pids = {self.process.pid}
        for path in (self.pidfile, self.new_pidfile):
            with contextlib.suppress(FileNotFoundError, ValueError):
                pids.add(int(path.read_text()))
        return pids

    def ready_workers(self, master: int) -> int:
        """How many of `master`'s workers said they are ready (gunicorn.conf.py)."""
        return self.log.read_text().count(f" of master {master} ready to serve")


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.05)


def answers(port: int, path: str) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", path)
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Result:
    engine: str
    boundaries: dict[str, tuple[float, float]]
    requests: list[Request]
    lost: list[int]
    written: int
    steps: dict[str, float]
    migration_log: str
    lock_waits: dict[bool, tuple[float, str]] | None

    def in_phase(self, phase: str) -> list[Request]:
        start, end = self.boundaries[phase]
        return [r for r in self.requests if start <= r.started < end]

    def report(self) -> list[str]:
        """Print the table and the targets; return the targets missed."""
        print(f"{'phase':<12} {'seconds':>7} {'requests':>9} {'failed':>7} {'p50 ms':>7}"
              f" {'p99 ms':>7} {'max ms':>7}")  # fmt: skip
        rows = {}
        for phase in (*PHASES, "deploy", "all"):
            if phase == "deploy":
                start, end = self.boundaries["pre-deploy"][0], self.boundaries["post-deploy"][1]
                chosen = [r for r in self.requests if start <= r.started < end]
            elif phase == "all":
                start, end = self.boundaries["baseline"][0], self.boundaries["after"][1]
                chosen = self.requests
            else:
                start, end = self.boundaries[phase]
                chosen = self.in_phase(phase)
            seconds = [r.seconds * 1000 for r in chosen] or [0.0]
            failed = [r for r in chosen if failure(r)]
            rows[phase] = (quantile(seconds, 0.99), failed, max(seconds))
            print(
                f"{phase:<12} {end - start:>7.1f} {len(chosen):>9} {len(failed):>7}"
                f" {quantile(seconds, 0.5):>7.0f} {quantile(seconds, 0.99):>7.0f}"
                f" {max(seconds):>7.0f}"
            )
        failures = rows["all"][1]
        kinds = sorted({f"{r.kind} {r.status or r.error}" for r in failures})
        print(
            f"failed requests: {len(failures)}{' (' + '; '.join(kinds[:5]) + ')' if kinds else ''}"
        )
        print(
            f"writes: {self.written} posts written (201), {len(self.lost)} lost or without a slug"
        )
        steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.steps.items())
        migrations = self.steps["pre-deploy"] + self.steps["post-deploy"]
        print(f"deploy steps: {steps}; migrations {migrations:.1f} s in all")
        for line in self.migration_log.splitlines():
            if "Naming posts:" in line or "retrying" in line:
                print(f"  migration: {line.split('] ', 1)[-1]}")
        missed = []
        if failures:
            missed.append(f"{self.engine}: {len(failures)} failed requests")
        if self.lost:
            missed.append(f"{self.engine}: {len(self.lost)} lost writes")
        baseline_p99, deploy_p99 = rows["baseline"][0], rows["deploy"][0]
        print(f"p99: baseline {baseline_p99:.0f} ms, during the deploy {deploy_p99:.0f} ms"
              f" (target at most {baseline_p99 + 500:.0f} ms)")  # fmt: skip
        if deploy_p99 > baseline_p99 + 500:
            missed.append(f"{self.engine}: p99 {deploy_p99:.0f} ms during the deploy")
        if self.lock_waits is not None:
            site, migration = self.lock_waits[False], self.lock_waits[True]
            print(f"longest lock wait, site queries: {site[0] * 1000:.0f} ms {site[1]}")
            print(f"longest lock wait, the migration: {migration[0] * 1000:.0f} ms {migration[1]}")
            if site[0] > 0.5:
                missed.append(
                    f"{self.engine}: a site query waited {site[0] * 1000:.0f} ms for a lock"
                )
        else:
            slowest = rows["all"][2]
            print(f"longest request: {slowest:.0f} ms (target at most 5000 ms)")
            if slowest > 5000:
                missed.append(f"{self.engine}: a request took {slowest:.0f} ms")
        return missed


def failure(request: Request) -> bool:
    return request.status not in OK_STATUSES[request.kind]


def quantile(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 1000) - 1]


def run(engine: "SQLite | PostgreSQL", releases: Releases, args: argparse.Namespace) -> Result:
    """One deploy, previous release to this one, under load."""
    directory = Path(tempfile.mkdtemp(prefix="run-", dir=releases.directory.parent))
    url = engine.fresh(directory)
    site_env = environment(url)
    deploy_env = environment(getattr(engine, "deploy_url", lambda: url)(), SECRET_KEY="deploy")
    releases.point_current_at(releases.previous)
    port = free_port()
    log = directory / "gunicorn.log"
    server = Gunicorn(releases, site_env, port, log)
    monitor = engine.monitor()
    boundaries: dict[str, tuple[float, float]] = {}
    steps: dict[str, float] = {}
    migration_log = ""
    try:
        wait_for(lambda: answers(port, "/healthz"), 60, "the previous release to serve")
        token = api_token(port)
        load = Load(port, args.clients, engine.posts, token)
        if monitor:
            monitor.start()
        load.start()
        mark = time.monotonic()
        time.sleep(args.baseline)
        boundaries["baseline"] = (mark, mark := time.monotonic())

        migration_log += flask(releases.new, deploy_env, "deploy")
        steps["pre-deploy"] = time.monotonic() - mark
        boundaries["pre-deploy"] = (mark, mark := time.monotonic())

        old_master = server.master()
        releases.point_current_at(releases.new)
        os.kill(old_master, signal.SIGUSR2)
        # The new master writes <pidfile>.2, and takes <pidfile> once the old one is gone.
        wait_for(lambda: server.new_pidfile.exists(), 60, "the new master")
        new_master = int(server.new_pidfile.read_text())
        wait_for(lambda: server.ready_workers(new_master) >= WORKERS, 120, "the new workers")
        os.kill(old_master, signal.SIGTERM)  # graceful: the old workers finish their requests
        wait_for(lambda: server.process.poll() is not None, 60, "the old master to go")
        steps["switch"] = time.monotonic() - mark
        boundaries["switch"] = (mark, mark := time.monotonic())

        migration_log += flask(releases.new, deploy_env, "deploy", "--post")
        steps["post-deploy"] = time.monotonic() - mark
        boundaries["post-deploy"] = (mark, mark := time.monotonic())

        time.sleep(args.after)
        boundaries["after"] = (mark, time.monotonic())
        load.finish()
    except Exception:
        print(f"gunicorn's log ended with:\n{''.join(log.read_text().splitlines(True)[-30:])}")
        raise
    finally:
        if monitor:
            monitor.stop.set()
            monitor.join(5)
        masters = server.masters()
        for pid in masters:
            if alive(pid):
                os.kill(pid, signal.SIGTERM)
        server.process.wait(60)  # the first master, this process's child
        masters.discard(server.process.pid)
        wait_for(lambda: not any(alive(pid) for pid in masters), 60, "gunicorn to stop")
    lost = lost_writes(url, load.written)
    return Result(
        engine.name,
        boundaries,
        load.requests,
        lost,
        len(load.written),
        steps,
        migration_log,
        monitor.longest if monitor else None,
    )


def api_token(port: int) -> str:
    credentials = base64.b64encode(f"{AUTHOR}:{PASSWORD}".encode()).decode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", "/api/tokens", headers={"Authorization": f"Basic {credentials}"})
    response = connection.getresponse()
    payload = response.read()
    connection.close()
    if response.status != 201:
        sys.exit(f"no API token: {response.status} {payload[:200]!r}")
    return json.loads(payload)["token"]


def lost_writes(url: str, written: list[int]) -> list[int]:
    """The posts that got a 201 and are not there now, with a slug."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as connection:
        kept = {
            post_id
            for (post_id,) in connection.execute(
                sa.text("SELECT id FROM posts WHERE id IN :ids AND slug IS NOT NULL").bindparams(
                    sa.bindparam("ids", expanding=True)
                ),
                {"ids": written or [0]},
            )
        }
    engine.dispose()
    return [post_id for post_id in written if post_id not in kept]


if __name__ == "__main__":
    main()
