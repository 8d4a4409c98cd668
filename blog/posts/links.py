"""Where a post is: what names it in its URLs, and its page's URL (the pages' templates and
the API both link to posts)."""

from typing import Any

from flask import url_for
from sqlalchemy import Row

from blog.health import release_complete
from blog.models import Post


def post_key(post: Row[*tuple[Any, ...]] | Post, complete: bool | None = None) -> str | int:
    """What names the post in its URLs: its slug, or its id until the deploy that brings
    slugs is complete (see blog.posts.routes.by_id). A page of many posts asks
    release_complete() once and passes the answer as `complete`."""
    if complete is None:
        complete = release_complete()
    if post.slug is None or not complete:
        return post.id
    return post.slug


def post_url(post: Row[*tuple[Any, ...]] | Post) -> str:
    """The post's page."""
    key = post_key(post)
    if isinstance(key, str):
        return url_for("posts.detail", slug=key)
    return url_for("posts.by_id", post_id=key)
