"""Pages of posts, newest first, linked by keyset cursors: no OFFSET and no count(*).

A page is asked for with `?older=<cursor>` (the posts just older than it) or
`?newer=<cursor>` (the posts just newer); no cursor is the newest page. A cursor names a
post's place in the order: its created_at in microseconds since the epoch and its id,
`1767225600000000-42`. The oldest page is `?newer=0-0`, the page right after the beginning.
Given both, `older` is followed and `newer` ignored: the two ask for opposite pages.
Each page costs one indexed query, however deep it is and however many posts there are.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from functools import cache
from typing import Any

from flask import abort
from flask import current_app
from flask import redirect
from flask import request
from flask import url_for
from sqlalchemy import BigInteger
from sqlalchemy import Select
from sqlalchemy import and_
from sqlalchemy import bindparam
from sqlalchemy import or_
from sqlalchemy.engine import Row
from sqlalchemy.sql.elements import BindParameter

from blog.extensions import standalone_engine
from blog.models import Post
from blog.models import post_summaries
from blog.web.converters import MAX_ID
from blog.web.converters import parse_id

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
CURSOR = re.compile(r"(\d{1,18})-(\d{1,10})")
CURSOR_EXAMPLE = "1767225600000000-42"
# A cursor past the last moment a datetime holds (the year 9999) is that moment.
LAST_MICROSECOND = (datetime.max.replace(tzinfo=UTC) - EPOCH) // MICROSECOND
BEGINNING = "0-0"
CURSORS = ("older", "newer")
FILTERS = ("category",)


@dataclass(frozen=True)
class Cursor:
    """A place in the newest-first order of posts."""

    created_at: datetime
    id: int

    @classmethod
    def of(cls, row: Any) -> "Cursor":
        return cls(row.created_at, row.id)

    @classmethod
    def parse(cls, text: str) -> "Cursor | None":
        """`text` as a cursor; None if it is not one."""
        match = CURSOR.fullmatch(text)
        if match is None:
            return None
        micros = min(int(match.group(1)), LAST_MICROSECOND)
        return cls(EPOCH + micros * MICROSECOND, int(match.group(2)))

    def __str__(self) -> str:
        return f"{(self.created_at - EPOCH) // MICROSECOND}-{self.id}"


@dataclass(frozen=True)
class Page:
    """Up to POSTS_PER_PAGE rows, newest first, and the cursors of the pages around it."""

    items: Sequence[Row[*tuple[Any, ...]]]
    older: str | None  # the next page, further back in time
    newer: str | None  # the previous page
    oldest: str | None  # the last page, if this is not it
    newest: bool  # whether a newer page exists (the first page needs no cursor)


def page_of_posts(
    category_id: int | None = None, older: Cursor | None = None, newer: Cursor | None = None
) -> Page:
    """The page of post summaries (of one category, or all) just older than `older` or
    else just newer than `newer`; the newest page without either."""
    per_page = current_app.config["POSTS_PER_PAGE"]
    if older is not None:
        newer = None
    cursor = newer or older
    direction = "newer" if newer else "older" if older else "newest"
    parameters = {"category_id": category_id, "limit": per_page + 1}
    if cursor is not None:
        parameters.update(created_at=cursor.created_at, id=cursor.id)
    query = summaries_page(direction, by_category=category_id is not None)
    # One statement, from a connection of its own: no ORM session and, on PostgreSQL, no
    # transaction around it (config.engine_binds).
    with standalone_engine().connect() as connection:
        rows = connection.execute(query, parameters).all()
    if newer is not None:
        if len(rows) < per_page:  # the top: what the newest page shows, or part of it
            abort(redirect(url_without_cursor()))
        items = rows[:per_page][::-1]
        has_newer, has_older = len(rows) > per_page, str(newer) != BEGINNING
    else:
        items = rows[:per_page]
        has_newer, has_older = older is not None, len(rows) > per_page
    return Page(
        items=items,
        older=str(Cursor.of(items[-1])) if has_older and items else None,
        newer=str(Cursor.of(items[0])) if has_newer and items else None,
        oldest=BEGINNING if has_older else None,
        newest=has_newer,
    )


@cache
def summaries_page(direction: str, by_category: bool) -> Select[*tuple[Any, ...]]:
    """The query for one kind of page, built once: the list is the busiest page, and
    building a statement costs more than running it. Values come as parameters."""
    posts = Post.__table__.c
    query = post_summaries()
    if by_category:
        query = query.where(posts.category_id == bindparam("category_id"))
    created_at, id = posts.created_at, posts.id
    when: BindParameter[datetime] = bindparam("created_at")
    # BIGINT: a cursor may name an id past the largest a row has (MAX_ID), and PostgreSQL
    # would refuse it as an INTEGER.
    key: BindParameter[int] = bindparam("id", type_=BigInteger)
    if direction == "older":
        query = query.where(or_(created_at < when, and_(created_at == when, id < key)))
    if direction == "newer":
        query = query.where(or_(created_at > when, and_(created_at == when, id > key)))
        order = (created_at.asc(), id.asc())
    else:
        order = (created_at.desc(), id.desc())
    return query.order_by(*order).limit(bindparam("limit"))


def url_without_cursor() -> str:
    """This page's URL, keeping its filter (the category) but no cursor."""
    assert request.endpoint is not None  # a page's view: the request matched a route
    return url_for(request.endpoint, **(request.view_args or {}), **filter_arguments())


def filter_arguments() -> dict[str, Any]:
    """The request's `?category=`, the one argument a page's links carry along. (Passing
    every argument to url_for would let `?endpoint=` or `?_external=` change the link.)"""
    return {name: request.args[name] for name in FILTERS if name in request.args}


def cursor_arguments() -> tuple[Cursor | None, Cursor | None]:
    """A page's `?older=` and `?newer=` (missing or empty: None); 400 naming a malformed one."""
    return cursor_argument("older"), cursor_argument("newer")


def cursor_argument(name: str) -> Cursor | None:
    raw = request.args.get(name, "")
    if raw == "":
        return None
    cursor = Cursor.parse(raw)
    if cursor is None:
        abort(400, description=f"{name}: must be a page cursor such as {CURSOR_EXAMPLE}")
    return cursor


def int_argument(name: str, default: int | None = None) -> int | None:
    """`?name=` as a whole number from 1 to MAX_ID (missing or empty: `default`); else 400."""
    raw = request.args.get(name, "")
    if raw == "":
        return default
    number = parse_id(raw)
    if number is None:
        abort(400, description=f"{name}: must be a whole number from 1 to {MAX_ID}, not {raw!r}")
    return number
