"""/api/posts: list (paginated, ?category=), read (counts a read), create, change, delete."""

from typing import Any

from flask import g
from flask import url_for
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
from blog.models import Category
from blog.models import Post
from blog.pagination import int_argument
from blog.pagination import page_of_posts
from blog.posts.forms import MAX_BODY_LENGTH
from blog.posts.routes import own_post_or_abort
from blog.posts.routes import read_post
from blog.rendering import check_rendered_size

NO_SUCH_CATEGORY = "No such category."
RULES = {
    "title": lambda value: text(value, max_length=200),
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


@bp.get("/posts/<id:post_id>")
def post(post_id: int) -> dict[str, Any]:
    """One post; like its page, this counts a read."""
    return post_json(read_post(post_id))


@bp.post("/posts")
@token_required
def create_post() -> tuple[dict[str, Any], int, dict[str, str]]:
    values = checked(json_object(), RULES, required=("title", "body"))
    post = Post(author_id=g.api_user.id, **values)
    db.session.add(post)
    save(post)
    return post_by_id(post.id), 201, {"Location": url_for("api.post", post_id=post.id)}


@bp.patch("/posts/<id:post_id>")
@token_required
def change_post(post_id: int) -> dict[str, Any]:
    """Change some of a post's title, body and category (its author only)."""
    post = own_post_or_abort(post_id, g.api_user.id)
    values = checked(json_object(), RULES)
    for name, value in values.items():
        setattr(post, name, value)
    save(post)
    return post_by_id(post.id)


@bp.delete("/posts/<id:post_id>")
@token_required
def delete_post(post_id: int) -> tuple[str, int]:
    db.session.delete(own_post_or_abort(post_id, g.api_user.id))
    db.session.commit()
    return "", 204


def save(post: Post) -> None:
    """Commit, or 422 if the post's category does not exist (or went since the check)."""
    with db.session.no_autoflush:  # the post is not to be written before the check
        category_id = post.category_id
        unknown = category_id is not None and db.session.get(Category, category_id) is None
    if unknown:
        db.session.rollback()
        raise InvalidFields({"category_id": NO_SUCH_CATEGORY})
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise InvalidFields({"category_id": NO_SUCH_CATEGORY}) from None
