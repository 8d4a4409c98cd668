"""Error pages: HTML for browsers, JSON for clients that ask for it."""

import math
import time

from flask import Flask
from flask import current_app
from flask import json
from flask import render_template
from flask import request
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import ServiceUnavailable
from werkzeug.wrappers import Response

from blog.web.rate_limits import limiter

CSRF_MESSAGE = (
    "This form has expired or did not come from this site. Go back, reload it and try again."
)
DATABASE_UNAVAILABLE = "The database is busy or out of reach. Try again in a moment."
RETRY_AFTER_SECONDS = 5


def register_error_handlers(app: Flask) -> None:
    """Answer every HTTP error, and any unexpected exception as a 500, with our error page."""
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(RateLimitExceeded, handle_rate_limited)
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(HTTPException, handle_http_error)


def handle_csrf_error(error: CSRFError) -> Response:
    """A form without a valid CSRF token: 400, with advice instead of a bare reason."""
    error.description = CSRF_MESSAGE
    return handle_http_error(error)


def handle_rate_limited(error: RateLimitExceeded) -> Response:
    """Over a rate limit (blog.web.rate_limits): 429, saying when to try again, in
    Retry-After and in words: when the last of the limits it is over lets it through."""
    seconds = max(1, math.ceil(free_at(error) - time.time()))
    error.retry_after = seconds
    error.description = f"{error.description} Try again in {in_words(seconds)}."
    return handle_http_error(error)


def free_at(error: RateLimitExceeded) -> float:
    """When every limit this request is over lets it through (Flask-Limiter checks them
    all: RATELIMIT_FAIL_ON_FIRST_BREACH is off); a whole window from now if the store
    cannot say, as it may have failed since it refused the request."""
    try:
        return max(limit.window.reset_time for limit in limiter.current_limits if limit.breached)
    except Exception:  # the store's errors are the store's own (redis, memcached ...)
        return time.time() + error.limit.limit.get_expiry()


def in_words(seconds: int) -> str:
    """ "1 second", "90 seconds", "3 minutes": a wait, rounded up to the minute past two."""
    if seconds >= 120:
        minutes = math.ceil(seconds / 60)
        return f"{minutes} minutes"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def handle_database_unavailable(error: OperationalError) -> Response:
    """The database out of reach, or still busy when its timeout ran out: a 503 that asks
    the client to come back, not a 500; the traceback goes to the log, as a 500's would."""
    current_app.logger.error(
        "Database unavailable on %s [%s]", request.path, request.method, exc_info=error
    )
    return handle_http_error(
        ServiceUnavailable(DATABASE_UNAVAILABLE, retry_after=RETRY_AFTER_SECONDS)
    )


def handle_http_error(error: HTTPException) -> Response:
    """Render `error` for the client, keeping its status and headers (such as Allow on 405)."""
    response = error.get_response()
    if wants_json():
        body = {"status": error.code, "message": error.description}
        if fields := getattr(error, "fields", None):
            body["fields"] = fields
        response.set_data(json.dumps({"error": body}))
        response.content_type = "application/json"
    else:
        response.set_data(render_template("errors.html", error=error))
        response.content_type = "text/html; charset=utf-8"
    return response


def wants_json() -> bool:
    """True under /api, and when the client prefers JSON to HTML (a browser never does)."""
    if request.path == "/api" or request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"
