"""Logging: one line per request on stdout, tagged with a request id; errors, with their
tracebacks, on stderr (Flask's own handler on the app's logger)."""

import logging
import logging.config
import re
import secrets
import time

from flask import Flask
from flask import Response
from flask import g
from flask import request

ACCESS_LOG = logging.getLogger("blog.access")
# A request id from a proxy in front is kept if it looks like one; otherwise we make one.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "access": {"format": "%(asctime)s %(message)s", "datefmt": "%Y-%m-%dT%H:%M:%S%z"}
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "access",
        }
    },
    "loggers": {"blog.access": {"handlers": ["stdout"], "level": "INFO", "propagate": False}},
}


def register_logging(app: Flask) -> None:
    """Log every request of `app`; set the handlers up once per process."""
    if not ACCESS_LOG.handlers:
        logging.config.dictConfig(LOGGING)
        # A log line a request: skip what the records would carry and no handler prints
        # (the Logging HOWTO's "Optimization" section).
        logging.logThreads = False
        logging.logProcesses = False
        logging.logMultiprocessing = False
    app.before_request(start_request)
    app.after_request(log_request)


def start_request() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if REQUEST_ID.fullmatch(incoming) else secrets.token_hex(16)
    g.request_started = time.perf_counter()


def log_request(response: Response) -> Response:
    """One line: method, path, status, duration and request id (also sent back)."""
    duration_ms = (time.perf_counter() - g.request_started) * 1000
    response.headers["X-Request-ID"] = g.request_id
    ACCESS_LOG.info(
        "%s %s %s %.1fms request_id=%s",
        request.method,
        request.path,
        response.status_code,
        duration_ms,
        g.request_id,
    )
    return response
