"""Template helpers: a timestamp filter, and the layout's fixed links built once.

Filters, not method or function calls in the templates: Jinja calls a filter directly, but
routes a call through its runtime, several times slower; the post list formats twenty
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
from markupsafe import Markup


def register_template_filters(app: Flask) -> None:
    app.add_template_filter(time_tag)
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


def time_tag(moment: datetime) -> Markup:
    """`<time datetime="2026-11-22T01:02:00+00:00">2026-11-22 01:02 UTC</time>`: the moment
    for machines and, to the minute, for people (all times are UTC). The second is cut from
    the first: one formatting, not two, for each of the list page's twenty."""
    machine = moment.isoformat()
    return Markup(f'<time datetime="{machine}">{machine[:10]} {machine[11:16]} UTC</time>')
