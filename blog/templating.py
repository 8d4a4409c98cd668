"""Template filters for timestamps.

Filters, not method calls in the templates: Jinja calls a filter directly, but routes a
method call through its runtime, several times slower, and the post list formats forty
timestamps a page.
"""

from datetime import datetime

from flask import Flask


def register_template_filters(app: Flask) -> None:
    app.add_template_filter(isoformat)
    app.add_template_filter(minute)


def isoformat(moment: datetime) -> str:
    """For <time datetime="...">."""
    return moment.isoformat()


def minute(moment: datetime) -> str:
    """For people: 2026-11-22 01:02 (all times are UTC)."""
    return moment.strftime("%Y-%m-%d %H:%M")
