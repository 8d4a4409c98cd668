"""/api/categories: list with post counts, read, create, rename, delete; and the posts of
one category, paginated like /api/posts."""

from typing import Any

from flask import url_for
from werkzeug.exceptions import Conflict

from blog.api.blueprint import bp
from blog.api.representations import category_json
from blog.api.representations import category_post_count
from blog.api.representations import page_json
from blog.api.tokens import token_required
from blog.api.validation import checked
from blog.api.validation import json_object
from blog.api.validation import text
from blog.categories.saving import DUPLICATE_NAME
from blog.categories.saving import save_category
from blog.extensions import db
from blog.models import CATEGORY_NAME_LENGTH
from blog.models import Category
from blog.models import categories_with_post_counts
from blog.web.pagination import page_of_posts

NO_SUCH_CATEGORY = "No such category."
RULES = {"name": lambda value: text(value, max_length=CATEGORY_NAME_LENGTH)}


class DuplicateName(Conflict):
    def __init__(self) -> None:
        super().__init__(DUPLICATE_NAME)
        self.fields = {"name": DUPLICATE_NAME}


@bp.get("/categories")
def categories() -> dict[str, Any]:
    """Every category by name, with its number of posts (a blog has few: one page)."""
    rows = db.session.execute(categories_with_post_counts())
    items = [category_json(category, count) for category, count in rows]
    links = {"self": url_for("api.categories"), "next": None, "prev": None}
    return {"items": items, "links": links}


@bp.get("/categories/<id:category_id>")
def category(category_id: int) -> dict[str, Any]:
    found = db.get_or_404(Category, category_id, description=NO_SUCH_CATEGORY)
    return category_json(found, category_post_count(category_id))


@bp.get("/categories/<id:category_id>/posts")
def category_posts(category_id: int) -> dict[str, Any]:
    db.get_or_404(Category, category_id, description=NO_SUCH_CATEGORY)
    return page_json(page_of_posts(category_id))


@bp.post("/categories")
@token_required
def create_category() -> tuple[dict[str, Any], int, dict[str, str]]:
    values = checked(json_object(), RULES, required=("name",))
    new = Category(name=values["name"])
    if not save_category(new):
        raise DuplicateName()
    location = url_for("api.category", category_id=new.id)
    return category_json(new, 0), 201, {"Location": location}


@bp.patch("/categories/<id:category_id>")
@token_required
def rename_category(category_id: int) -> dict[str, Any]:
    found = db.get_or_404(Category, category_id, description=NO_SUCH_CATEGORY)
    values = checked(json_object(), RULES)
    if "name" in values:
        found.name = values["name"]
        if not save_category(found):
            raise DuplicateName()
    return category_json(found, category_post_count(category_id))


@bp.delete("/categories/<id:category_id>")
@token_required
def delete_category(category_id: int) -> tuple[str, int]:
    """Delete a category; its posts stay, uncategorized."""
    db.session.delete(db.get_or_404(Category, category_id, description=NO_SUCH_CATEGORY))
    db.session.commit()
    return "", 204
