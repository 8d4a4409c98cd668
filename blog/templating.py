"""What templates use beyond Jinja's own: timestamp filters, and fixed links built once.

Filters, not method calls in the templates: Jinja calls a filter directly, but routes a
method call through its runtime, several times slower, and the post list formats forty
timestamps a page.
"""

from datetime import datetime

from flask import Flask
from flask import request
from flask import url_for


def register_template_helpers(app: Flask) -> None:
    app.add_template_filter(isoformat)
    app.add_template_filter(minute)
    app.add_template_global(fixed_url_for)


def fixed_url_for(endpoint: str, **values: str) -> str:
    """url_for, remembered: for the links every page has (the navigation, the stylesheet),
    which never change while the app runs under the same script root."""
    key = (request.script_root, endpoint, *sorted(values.items()))
    url = FIXED_URLS.get(key)
    if url is None:
        url = FIXED_URLS[key] = url_for(endpoint, **values)
    return url


FIXED_URLS: dict[tuple, str] = {}


def isoformat(moment: datetime) -> str:
    """For <time datetime="...">."""
    return moment.isoformat()


def minute(moment: datetime) -> str:
    """For people: 2026-11-22 01:02 (all times are UTC)."""
    return moment.strftime("%Y-%m-%d %H:%M")
