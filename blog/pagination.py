"""Whole numbers from the query string, and pages of rows."""

from flask import abort
from flask import current_app
from flask import request
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select

from blog.converters import MAX_ID
from blog.converters import parse_id
from blog.extensions import db


def int_argument(name: str, default: int | None = None) -> int | None:
    """`?name=` as a whole number from 1 to MAX_ID (missing or empty: `default`); else 400."""
    raw = request.args.get(name, "")
    if raw == "":
        return default
    number = parse_id(raw)
    if number is None:
        abort(400, description=f"{name}: must be a whole number from 1 to {MAX_ID}, not {raw!r}")
    return number


def paginate(query: Select) -> Pagination:
    """The `?page=` page of `query`, POSTS_PER_PAGE rows long; 404 past the last page."""
    page = int_argument("page", default=1)
    pagination = db.paginate(
        query, page=page, per_page=current_app.config["POSTS_PER_PAGE"], error_out=False
    )
    if page > 1 and not pagination.items:
        abort(404, description=f"There is no page {page}.")
    return pagination
