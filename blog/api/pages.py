"""A page of whole posts, and the links around it: `next` goes back in time (`?older=`),
`prev` forward (`?newer=`), as on the pages."""

from typing import Any

from flask import request
from flask import url_for

from blog.posts.service import posts_with_names_in
from blog.web import pagination
from blog.web.pagination import CURSORS
from blog.web.pagination import Cursor
from blog.web.pagination import filter_arguments


def page_of_posts(
    category_id: int | None, older: Cursor | None = None, newer: Cursor | None = None
) -> dict[str, Any]:
    page = pagination.page_of_posts(category_id, older, newer)
    return {
        "items": posts_with_names_in([item.id for item in page.items]),
        "links": {
            "self": page_url(),
            "next": page_url(older=page.older) if page.older else None,
            "prev": page_url(newer=page.newer) if page.newer else None,
        },
    }


def page_url(**cursor: Any) -> str:
    """This collection's URL with its filter, and `cursor` (default: the request's own)."""
    if not cursor:
        cursor = {name: request.args[name] for name in CURSORS if request.args.get(name)}
    assert request.endpoint is not None  # a collection's view: the request matched a route
    return url_for(request.endpoint, **(request.view_args or {}), **filter_arguments(), **cursor)
