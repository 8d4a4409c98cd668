"""/api/posts: list (a page at a time, `?category=`), read (counts a read), write, change,
delete. One post is at /api/posts/<slug>, and at /api/posts/<id> as well."""

from typing import Any

from flask import Response
from flask import g
from flask import url_for
from sqlalchemy import Row

from blog.api import schemas
from blog.api.blueprint import FieldConflict
from blog.api.blueprint import bp
from blog.api.document import LOCATION
from blog.api.document import WRITE_ERRORS
from blog.api.document import errors
from blog.api.pages import page_of_posts
from blog.api.tokens import token_required
from blog.categories.service import NO_SUCH_CATEGORY
from blog.categories.service import category_or_404
from blog.models import Post
from blog.posts.links import post_key
from blog.posts.service import UnknownCategory
from blog.posts.service import delete_post
from blog.posts.service import own_post_or_abort
from blog.posts.service import post_with_names
from blog.posts.service import read_post
from blog.posts.service import save_post

POST = "/posts/<post_key:post>"


@bp.get("/posts")
@bp.doc(operationId="listPosts")
@bp.query(schemas.PostListArguments)
@bp.response(200, schemas.PostPage)
@errors(404)
def list_posts(arguments: dict[str, Any]) -> dict[str, Any]:
    """Posts, newest first, a page at a time"""
    category_id = arguments.pop("category", None)
    if category_id is not None:
        category_or_404(category_id)
    return page_of_posts(category_id, **arguments)


@bp.get(POST, endpoint="post")
@bp.doc(operationId="getPost")
@bp.response(200, schemas.Post)
@errors(404)
def get_post(post: int | str) -> Row[Any]:
    """One post (counts a read)"""
    return read_post(post)


@bp.post("/posts")
@bp.doc(operationId="createPost")
@token_required
@bp.body(schemas.PostCreate)
@bp.response(201, schemas.Post, headers=LOCATION)
@errors(*WRITE_ERRORS, 409)
def create_post(values: dict[str, Any]) -> tuple[Row[Any], dict[str, str]]:
    """Write a post"""
    post = Post(author_id=g.api_user.id, **values)
    save(post, new=True)
    created = post_with_names(post.id)
    return created, {"Location": url_for("api.post", post=post_key(created))}


@bp.patch(POST, endpoint="change_post")
@bp.doc(operationId="changePost")
@token_required
@bp.body(schemas.PostChange)
@bp.response(200, schemas.Post)
@errors(*WRITE_ERRORS, 403, 404, 409)
def change_post(values: dict[str, Any], post: int | str) -> Row[Any]:
    """Change your post: some of its title, body and category; its slug stays"""
    found = own_post_or_abort(post, g.api_user.id)
    for name, value in values.items():
        setattr(found, name, value)
    save(found, new=False)
    return post_with_names(found.id)


@bp.delete(POST, endpoint="delete_post")
@bp.doc(operationId="deletePost")
@token_required
@bp.response(204)
@errors(403, 404)
def remove_post(post: int | str) -> Response:
    """Delete your post"""
    delete_post(own_post_or_abort(post, g.api_user.id))
    return Response(status=204)


def save(post: Post, *, new: bool) -> None:
    try:
        save_post(post, new=new)
    except UnknownCategory:
        raise FieldConflict("category_id", NO_SUCH_CATEGORY) from None
