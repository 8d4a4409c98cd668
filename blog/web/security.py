"""Security headers on every response."""

from flask import Flask
from flask import Response

# No inline scripts or styles anywhere in the templates, so the policy can forbid them.
HEADERS = {
    "Content-Security-Policy": (
        # Posts may show images from other sites (https only): nothing else comes from them.
        "default-src 'self'; img-src 'self' https:; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def register_security_headers(app: Flask) -> None:
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    # extend, not setdefault per header: no view sets these, and this runs on every request.
    response.headers.extend(HEADERS)
    return response
