"""/api/posts: list (paginated, ?category=), read (counts a read), create, change, delete.
One post is at /api/posts/<slug>, and at /api/posts/<id> as well."""

from typing import Any

from flask import abort
from flask import g
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from blog.api.blueprint import bp
from blog.api.representations import page_json
from blog.api.representations import post_by_id
from blog.api.representations import post_json
from blog.api.tokens import token_required
from blog.api.validation import InvalidFields
from blog.api.validation import checked
from blog.api.validation import json_object
from blog.api.validation import optional_id
from blog.api.validation import text
from blog.extensions import db
from blog.models import MAX_BODY_LENGTH
from blog.models import TITLE_LENGTH
from blog.models import Category
from blog.models import Post
from blog.posts.routes import own_post_or_abort
from blog.posts.routes import read_post
from blog.posts.saving import commit_new_post
from blog.rendering import check_rendered_size
from blog.web.pagination import int_argument
from blog.web.pagination import page_of_posts

NO_SUCH_CATEGORY = "No such category."
RULES = {
    "title": lambda value: text(value, max_length=TITLE_LENGTH),
    "body": lambda value: check_rendered_size(
        text(value, max_length=MAX_BODY_LENGTH, strip=False)
    ),
    "category_id": optional_id,
}


@bp.get("/posts")
def posts() -> dict[str, Any]:
    """Newest first, a page at a time (`?older=`/`?newer=` cursors); `?category=<id>`."""
    category_id = int_argument("category")
    if category_id is not None:
        db.get_or_404(Category, category_id, description=NO_SUCH_CATEGORY)
    return page_json(page_of_posts(category_id))


@bp.get("/posts/<id:key>", endpoint="post")
@bp.get("/posts/<slug:key>", endpoint="post_by_slug")
def post(key: int | str) -> dict[str, Any]:
    """One post, by id or slug; like its page, this counts a read."""
    return post_json(read_post(key))


@bp.post("/posts")
@token_required
def create_post() -> tuple[dict[str, Any], int, dict[str, str]]:
    values = checked(json_object(), RULES, required=("title", "body"))
    post = Post(author_id=g.api_user.id, **values)
    save(post, new=True)
    created = post_by_id(post.id)
    return created, 201, {"Location": created["url"]}


@bp.patch("/posts/<id:key>", endpoint="change_post")
@bp.patch("/posts/<slug:key>", endpoint="change_post_by_slug")
@token_required
def change_post(key: int | str) -> dict[str, Any]:
    """Change some of a post's title, body and category (its author only); its slug stays."""
    post = own_post_or_abort(post_id_of(key), g.api_user.id)
    values = checked(json_object(), RULES)
    for name, value in values.items():
        setattr(post, name, value)
    save(post, new=False)
    return post_by_id(post.id)


@bp.delete("/posts/<id:key>", endpoint="delete_post")
@bp.delete("/posts/<slug:key>", endpoint="delete_post_by_slug")
@token_required
def delete_post(key: int | str) -> tuple[str, int]:
    db.session.delete(own_post_or_abort(post_id_of(key), g.api_user.id))
    db.session.commit()
    return "", 204


def post_id_of(key: int | str) -> int:
    """The id of the post with this id or slug; 404 if there is none."""
    if isinstance(key, int):
        return key
    post_id = db.session.scalar(select(Post.id).where(Post.slug == key))
    if post_id is None:
        abort(404, description="No such post.")
    return post_id


def save(post: Post, *, new: bool) -> None:
    """Commit, or 422 if the post's category does not exist (or went since the check)."""
    with db.session.no_autoflush:  # the post is not to be written before the check
        category_id = post.category_id
        unknown = category_id is not None and db.session.get(Category, category_id) is None
    if unknown:
        db.session.rollback()
        raise InvalidFields({"category_id": NO_SUCH_CATEGORY})
    try:
        if new:
            commit_new_post(post)
        else:
            db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise InvalidFields({"category_id": NO_SUCH_CATEGORY}) from None
