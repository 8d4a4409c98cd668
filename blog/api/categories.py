"""/api/categories: list with post counts, read, create, rename, delete; and the posts of
one category, a page at a time like /api/posts."""

from typing import Any

from flask import Response
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
from blog.categories.service import DUPLICATE_NAME
from blog.categories.service import category_or_404
from blog.categories.service import category_with_post_count
from blog.categories.service import delete_category
from blog.categories.service import save_category
from blog.extensions import db
from blog.models import Category
from blog.models import categories_with_post_counts

CATEGORY = "/categories/<id:category_id>"


@bp.get("/categories")
@bp.doc(operationId="listCategories")
@bp.response(200, schemas.CategoryList)
@errors()
def categories() -> dict[str, Any]:
    """Every category by name, with its number of posts (a blog has few: one page)"""
    links = {"self": url_for("api.categories"), "next": None, "prev": None}
    return {"items": db.session.execute(categories_with_post_counts()), "links": links}


@bp.get(CATEGORY)
@bp.doc(operationId="getCategory")
@bp.response(200, schemas.Category)
@errors(404)
def category(category_id: int) -> Row[Any]:
    """One category"""
    return category_with_post_count(category_id)


@bp.get(f"{CATEGORY}/posts")
@bp.doc(operationId="listCategoryPosts")
@bp.query(schemas.PageArguments)
@bp.response(200, schemas.PostPage)
@errors(404)
def category_posts(arguments: dict[str, Any], category_id: int) -> dict[str, Any]:
    """One category's posts, newest first, a page at a time"""
    category_or_404(category_id)
    return page_of_posts(category_id, **arguments)


@bp.post("/categories")
@bp.doc(operationId="createCategory")
@token_required
@bp.body(schemas.CategoryCreate)
@bp.response(201, schemas.Category, headers=LOCATION)
@errors(*WRITE_ERRORS, 409)
def create_category(values: dict[str, Any]) -> tuple[Row[Any], dict[str, str]]:
    """Make a category"""
    new = Category(name=values["name"])
    if not save_category(new):
        raise FieldConflict("name", DUPLICATE_NAME)
    location = url_for("api.category", category_id=new.id)
    return category_with_post_count(new.id), {"Location": location}


@bp.patch(CATEGORY)
@bp.doc(operationId="renameCategory")
@token_required
@bp.body(schemas.CategoryChange)
@bp.response(200, schemas.Category)
@errors(*WRITE_ERRORS, 404, 409)
def rename_category(values: dict[str, Any], category_id: int) -> Row[Any]:
    """Rename a category"""
    found = category_or_404(category_id)
    if "name" in values:
        found.name = values["name"]
        if not save_category(found):
            raise FieldConflict("name", DUPLICATE_NAME)
    return category_with_post_count(category_id)


@bp.delete(CATEGORY, endpoint="delete_category")
@bp.doc(operationId="deleteCategory")
@token_required
@bp.response(204)
@errors(404)
def remove_category(category_id: int) -> Response:
    """Delete a category (its posts stay, uncategorized)"""
    delete_category(category_or_404(category_id))
    return Response(status=204)
