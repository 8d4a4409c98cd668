"""Template helpers: timestamp filters, and the layout's fixed links built once.

Filters, not method or function calls in the templates: Jinja calls a filter directly, but
routes a call through its runtime, several times slower; the post list formats forty
timestamps a page, and every page has half a dozen fixed links (`{{ "index"|fixed_url }}`).
"""

from datetime import datetime
from typing import Any

from flask import Flask
from flask import current_app
from flask import request
from flask import url_for
from jinja2 import pass_context
from jinja2.runtime import Context


def register_template_filters(app: Flask) -> None:
    app.add_template_filter(isoformat)
    app.add_template_filter(minute)
    app.add_template_filter(fixed_url)


@pass_context  # else Jinja would run it once, compiling the template: one mount point for all
def fixed_url(context: Context, endpoint: str, **values: Any) -> str:
    """url_for for a link that is the same on every page (the layout's navigation and
    stylesheet), built once per app and mount point: every page has half a dozen, and
    building one costs more than the rest of the layout."""
    key = (endpoint, request.script_root, *sorted(values.items()))
    urls: dict[tuple[Any, ...], str] = current_app.extensions.setdefault("blog.fixed_urls", {})
    if key not in urls:
        urls[key] = url_for(endpoint, **values)
    return urls[key]


def isoformat(moment: datetime) -> str:
    """For <time datetime="...">."""
    return moment.isoformat()


def minute(moment: datetime) -> str:
    """For people: 2026-11-22 01:02 (all times are UTC)."""
    return moment.strftime("%Y-%m-%d %H:%M")
