"""/api/posts: list (a page at a time, `?category=`), read (counts a read), write, change,
delete. One post is at /api/posts/<slug>, and at /api/posts/<id> as well."""

from types import SimpleNamespace
from typing import Any

from flask import Response
from flask import g
from flask import url_for
from sqlalchemy import Row

from blog.api import schemas
from blog.api.blueprint import bp
from blog.api.blueprint import conflict
from blog.api.document import LOCATION
from blog.api.pages import page_of_posts
from blog.api.tokens import token_required
from blog.categories.service import NO_SUCH_CATEGORY
from blog.categories.service import category_or_404
from blog.models import Post
from blog.posts import service
from blog.posts.links import post_key

POST = "/posts/<post_key:post>"


@bp.get("/posts")
@bp.query(schemas.PostListArguments)
@bp.response(200, schemas.PostPage)
@bp.errors(404)
def list_posts(arguments: dict[str, Any]) -> dict[str, Any]:
    """Posts, newest first, a page at a time"""
    category_id = arguments.pop("category", None)
    if category_id is not None:
        category_or_404(category_id)
    return page_of_posts(category_id, **arguments)


@bp.get(POST, endpoint="post")
@bp.response(200, schemas.Post)
@bp.errors(404)
def get_post(post: int | str) -> SimpleNamespace:
    """One post (counts a read)"""
    return service.read_post(post)


@bp.post("/posts")
@token_required
@bp.body(schemas.PostCreate)
@bp.response(201, schemas.Post, headers=LOCATION)
@bp.errors(409)
def create_post(values: dict[str, Any]) -> tuple[Row[Any], dict[str, str]]:
    """Write a post"""
    post = save(Post(author_id=g.api_user.id), values, new=True)
    return post, {"Location": url_for("api.post", post=post_key(post))}


@bp.patch(POST, endpoint="change_post")
@token_required
@bp.body(schemas.PostChange)
@bp.response(200, schemas.Post)
@bp.errors(403, 404, 409)
def change_post(values: dict[str, Any], post: int | str) -> Row[Any]:
    """Change your post: some of its title, body and category; its slug stays"""
    return save(service.own_post_or_abort(post, g.api_user.id), values, new=False)


@bp.delete(POST, endpoint="delete_post")
@token_required
@bp.response(204)
@bp.errors(403, 404)
def delete_post(post: int | str) -> Response:
    """Delete your post"""
    service.delete_post(service.own_post_or_abort(post, g.api_user.id))
    return Response(status=204)


def save(post: Post, values: dict[str, Any], *, new: bool) -> Row[Any]:
    """Save `post` with `values`, and read it back with its names; 409 for no such category."""
    for name, value in values.items():
        setattr(post, name, value)
    try:
        service.save_post(post, new=new)
    except service.UnknownCategory:
        raise conflict("category_id", NO_SUCH_CATEGORY) from None
    return service.post_with_names(post.id)
