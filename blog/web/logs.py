"""Logging: one line per request on stdout, and errors with their tracebacks on stderr,
both tagged with the request's id."""

import logging
import logging.config
import re
import secrets
import time

from flask import Flask
from flask import Response
from flask import g
from flask import has_request_context
from flask import request

ACCESS_LOG = logging.getLogger("blog.access")
# A request id from a proxy in front is kept if it looks like one; otherwise we make one.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# A path is logged as sent, but a newline in it must not start a forged log line.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


class RequestIdFilter(logging.Filter):
    """Give each record the id of the request it was logged in (or "-")."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": RequestIdFilter}},
    "formatters": {
        "access": {"format": "%(asctime)s %(message)s", "datefmt": "%Y-%m-%dT%H:%M:%S%z"},
        "errors": {
            "format": "%(asctime)s %(levelname)s %(name)s request_id=%(request_id)s %(message)s",
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
        },
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "access",
        },
        "stderr": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "formatter": "errors",
            "filters": ["request_id"],
        },
    },
    "loggers": {
        "blog.access": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        # The app's own logger (Flask names it after the package): errors and tracebacks.
        "blog": {"handlers": ["stderr"], "level": "INFO"},
        # The rate-limit store lost. Not each 429 (INFO): its key holds the name typed, which
        # is at times a password.
        "flask-limiter": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
    },
}


def register_logging(app: Flask) -> None:
    """Log every request of `app`; set the handlers up once per process."""
    if not ACCESS_LOG.handlers:
        logging.config.dictConfig(LOGGING)
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
        CONTROL_CHARACTERS.sub(lambda match: f"\\x{ord(match[0]):02x}", request.path),
        response.status_code,
        duration_ms,
        g.request_id,
    )
    return response
