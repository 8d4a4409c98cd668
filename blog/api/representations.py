"""What the API says about a post, a category, and a page of posts."""

from typing import Any

from flask import abort
from flask import request
from flask import url_for
from sqlalchemy import func
from sqlalchemy import select

from blog.extensions import db
from blog.models import Category
from blog.models import Post
from blog.models import posts_with_names
from blog.posts.routes import post_key
from blog.posts.routes import post_url
from blog.web.pagination import CURSORS
from blog.web.pagination import Page
from blog.web.pagination import filter_arguments


def post_json(row: Any) -> dict[str, Any]:
    """A post row from posts_with_names()."""
    category = None
    if row.category_id is not None:
        category = {
            "id": row.category_id,
            "name": row.category_name,
            "url": url_for("api.category", category_id=row.category_id),
        }
    author = {"id": row.author_id, "name": row.author_name} if row.author_id else None
    key = post_key(row)  # its slug, or its id until a deploy is complete, as on the pages
    return {
        "id": row.id,
        "title": row.title,
        "body": row.body,
        # null for posts written before bodies were Markdown: their body is plain text.
        "body_html": row.body_html,
        "category": category,
        "author": author,
        "read_count": row.read_count,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
        "slug": row.slug,
        "url": url_for("api.post_by_slug" if isinstance(key, str) else "api.post", key=key),
        "html_url": post_url(row),
    }


def category_json(category: Category, post_count: int) -> dict[str, Any]:
    return {
        "id": category.id,
        "name": category.name,
        "post_count": post_count,
        "created_at": category.created_at.isoformat(),
        "url": url_for("api.category", category_id=category.id),
        "posts_url": url_for("api.category_posts", category_id=category.id),
    }


def post_by_id(post_id: int) -> dict[str, Any]:
    """The post as it is now; 404 if it went (deleted by another request meanwhile)."""
    row = db.session.execute(posts_with_names().where(Post.__table__.c.id == post_id)).first()
    if row is None:
        abort(404, description="No such post.")
    return post_json(row)


def page_json(page: Page) -> dict[str, Any]:
    """A page of posts (whole posts, in the page's order) and the links around it: `next`
    goes back in time (`?older=`), `prev` forward (`?newer=`), as on the pages."""
    ids = [item.id for item in page.items]
    rows = {}
    if ids:
        query = posts_with_names().where(Post.__table__.c.id.in_(ids))
        rows = {row.id: row for row in db.session.execute(query)}
    # A post deleted between the two queries is left out, not a 500.
    items = [post_json(rows[id]) for id in ids if id in rows]
    return {
        "items": items,
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


def category_post_count(category_id: int) -> int:
    return db.session.execute(
        select(func.count()).select_from(Post).where(Post.category_id == category_id)
    ).scalar_one()
