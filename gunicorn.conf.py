"""gunicorn's settings: `gunicorn wsgi:app` reads this file from the working directory.

Listens on loopback by default, for a reverse proxy on the same host (nginx, Caddy) to
forward to; BIND=0.0.0.0:8000 listens on every interface.
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
# id (blog/logs.py); gunicorn's own would be a second line for each. Errors and gunicorn's
# messages go to stderr.
accesslog = None
errorlog = "-"
loglevel = "info"

# A worker silent for this long is killed and replaced; a clean shutdown waits this long.
timeout = 30
graceful_timeout = 30
# Restart each worker now and then (at different times), so no slow leak can grow forever.
max_requests = 10_000
max_requests_jitter = 1_000
# Behind a proxy on the same host, trust its X-Forwarded-* headers, and only its.
forwarded_allow_ips = "127.0.0.1"
