"""gunicorn's settings: `gunicorn wsgi:app` reads this file from the working directory.

Listens on loopback by default, for a reverse proxy on the same host (nginx, Caddy) to
forward to; BIND=0.0.0.0:8000 listens on every interface.

Set up for deploys that drop no request (docs/zero-downtime.md): `kill -USR2 <master>`
starts a second master, from the working directory the first was started in (a `current`
symlink that now points at the new release), on the same listening socket, and `kill -TERM
<old master>` then lets the old workers finish what they are doing and stop. A new release
that fails to start leaves the old one serving.
"""

import multiprocessing
import os
import sys
from pathlib import Path

from dotenv import load_dotenv

from config import ConfigError
from config import get_config

# Check the configuration once, here in the master, before any worker starts: a missing
# SECRET_KEY is then one line and exit status 1, not a failure (and a traceback) per worker.
load_dotenv(Path(__file__).resolve().parent / ".env")
try:
    get_config()
except ConfigError as error:
    sys.exit(f"Error: {error.format_message()}")

bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
# Sync workers spend much of a request waiting on the database: two per core, plus one.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"

# The app itself writes the access log, one line per request on stdout with its request
# id (blog/web/logs.py); gunicorn's own would be a second line for each. Errors and gunicorn's
# messages go to stderr.
accesslog = None
errorlog = "-"
loglevel = "info"

# The master loads the app once, and every worker it forks, recycled ones included, runs that
# code: a worker started after the deploy's symlink moved runs the release its master runs,
# not the next one's code beside its own configuration. A new release comes with a new
# master (USR2), never with HUP, which would reload nothing.
preload_app = True
# Where the master writes its pid (PIDFILE). A master started by USR2 writes <PIDFILE>.2,
# and renames it to <PIDFILE> once the old master is gone.
pidfile = os.environ.get("PIDFILE") or None

# A worker silent for this long is killed and replaced; a clean shutdown (TERM) waits this
# long for the requests in flight. (QUIT is the fast shutdown: it drops them.)
timeout = 30
graceful_timeout = 30
# Restart each worker now and then (at different times), so no slow leak can grow forever.
max_requests = 10_000
max_requests_jitter = 1_000
# Behind a proxy on the same host, trust its X-Forwarded-* headers, and only its.
forwarded_allow_ips = "127.0.0.1"


def post_fork(server, worker) -> None:  # noqa: ANN001 (gunicorn's hook)
    """A worker opens database connections of its own: none made in the master (which
    makes none) may be shared across the fork."""
    from blog.extensions import db

    with worker.app.wsgi().app_context():
        db.engine.dispose(close=False)


def post_worker_init(worker) -> None:  # noqa: ANN001 (gunicorn's hook)
    """Say when a worker is ready to serve, and whose: after USR2, once every worker of the
    new master (the pid in <PIDFILE>.2) has said so, the old master can go."""
    worker.log.info("Worker %s of master %s ready to serve", worker.pid, worker.ppid)
