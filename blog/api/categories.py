"""/api/categories: list with post counts, read, create, rename, delete; and the posts of
one category, a page at a time like /api/posts."""

from typing import Any

from flask import Response
from flask import url_for
from sqlalchemy import Row

from blog.api import schemas
from blog.api.blueprint import bp
from blog.api.blueprint import conflict
from blog.api.document import LOCATION
from blog.api.pages import page_of_posts
from blog.api.tokens import token_required
from blog.categories import service
from blog.extensions import db
from blog.models import Category
from blog.models import categories_with_post_counts

CATEGORY = "/categories/<id:category_id>"


@bp.get("/categories", endpoint="categories")
@bp.response(200, schemas.CategoryList)
def list_categories() -> dict[str, Any]:
    """Every category by name, with its number of posts (a blog has few: one page)"""
    links = {"self": url_for("api.categories"), "next": None, "prev": None}
    return {"items": db.session.execute(categories_with_post_counts()), "links": links}


@bp.get(CATEGORY, endpoint="category")
@bp.response(200, schemas.Category)
@bp.errors(404)
def get_category(category_id: int) -> Row[Any]:
    """One category"""
    return service.category_with_post_count(category_id)


@bp.get(f"{CATEGORY}/posts", endpoint="category_posts")
@bp.query(schemas.PageArguments)
@bp.response(200, schemas.PostPage)
@bp.errors(404)
def list_category_posts(arguments: dict[str, Any], category_id: int) -> dict[str, Any]:
    """One category's posts, newest first, a page at a time"""
    service.category_or_404(category_id)
    return page_of_posts(category_id, **arguments)


@bp.post("/categories")
@token_required
@bp.body(schemas.CategoryCreate)
@bp.response(201, schemas.Category, headers=LOCATION)
@bp.errors(409)
def create_category(values: dict[str, Any]) -> tuple[Row[Any], dict[str, str]]:
    """Make a category"""
    row = save(Category(), values)
    return row, {"Location": url_for("api.category", category_id=row.Category.id)}


@bp.patch(CATEGORY)
@token_required
@bp.body(schemas.CategoryChange)
@bp.response(200, schemas.Category)
@bp.errors(404, 409)
def rename_category(values: dict[str, Any], category_id: int) -> Row[Any]:
    """Rename a category"""
    return save(service.category_or_404(category_id), values)


@bp.delete(CATEGORY)
@token_required
@bp.response(204)
@bp.errors(404)
def delete_category(category_id: int) -> Response:
    """Delete a category (its posts stay, uncategorized)"""
    service.delete_category(service.category_or_404(category_id))
    return Response(status=204)


def save(category: Category, values: dict[str, Any]) -> Row[Any]:
    """Save `category` with `values`, and read it back with its count; 409 for a taken name."""
    if "name" in values:
        category.name = values["name"]
        if not service.save_category(category):
            raise conflict("name", service.DUPLICATE_NAME)
    return service.category_with_post_count(category.id)
