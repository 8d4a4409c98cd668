"""Category pages: list with post counts, one category's posts, create, rename, delete."""

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_login import login_required
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug import Response

from blog.categories.forms import CategoryForm
from blog.extensions import db
from blog.forms import DeleteForm
from blog.forms import render_form
from blog.models import Category
from blog.models import Post
from blog.pagination import page_of_posts

bp = Blueprint("categories", __name__, template_folder="templates")

DUPLICATE_NAME = "A category with this name already exists."


@bp.get("/")
def index() -> str:
    """Every category by name, with its number of posts, in one query."""
    post_counts = (
        select(Post.category_id, func.count().label("posts")).group_by(Post.category_id).subquery()
    )
    rows = db.session.execute(
        select(Category, func.coalesce(post_counts.c.posts, 0))
        .outerjoin(post_counts, post_counts.c.category_id == Category.id)
        .order_by(Category.name)
    )
    return render_template("categories/index.html", categories=rows.all())


@bp.get("/<id:category_id>")
def detail(category_id: int) -> str:
    category = db.get_or_404(Category, category_id, description="No such category.")
    page = page_of_posts(category_id)
    return render_template("categories/detail.html", category=category, page=page)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create() -> Response | tuple[str, int]:
    form = CategoryForm()
    if form.validate_on_submit():
        category = Category(name=form.name.data)
        if save(category):
            flash(f"Category “{category.name}” created.", "success")
            return redirect(url_for("categories.detail", category_id=category.id))
        return duplicate_name(form, heading="New category")
    return render_form("categories/form.html", form, heading="New category")


@bp.route("/<id:category_id>/edit", methods=["GET", "POST"])
@login_required
def edit(category_id: int) -> Response | tuple[str, int]:
    """Rename a category."""
    category = db.get_or_404(Category, category_id, description="No such category.")
    form = CategoryForm(obj=category)
    if form.validate_on_submit():
        category.name = form.name.data
        if save(category):
            flash("Category renamed.", "success")
            return redirect(url_for("categories.detail", category_id=category.id))
        return duplicate_name(form, heading="Rename category", category=category)
    return render_form("categories/form.html", form, heading="Rename category", category=category)


@bp.route("/<id:category_id>/delete", methods=["GET", "POST"])
@login_required
def delete(category_id: int) -> Response | str:
    """GET asks for confirmation; POST deletes the category and keeps its posts, uncategorized."""
    category = db.get_or_404(Category, category_id, description="No such category.")
    form = DeleteForm()
    if form.validate_on_submit():
        db.session.delete(category)
        db.session.commit()
        flash(f"Category “{category.name}” deleted; its posts are now uncategorized.", "success")
        return redirect(url_for("categories.index"))
    return render_template("categories/delete.html", category=category, form=form)


def save(category: Category) -> bool:
    """Commit `category` unless another one has its name, ignoring case; False if taken."""
    # Compared in Python: SQL lower() leaves non-ASCII letters alone on SQLite.
    others = select(Category.name)
    if category.id is not None:
        others = others.where(Category.id != category.id)
    with db.session.no_autoflush:  # the new name is not in the database yet
        taken = any(
            name.casefold() == category.name.casefold() for name in db.session.scalars(others)
        )
    if taken:
        return False
    db.session.add(category)
    try:
        db.session.commit()
    except IntegrityError:  # the same name, committed by someone else since the check
        db.session.rollback()
        return False
    return True


def duplicate_name(form: CategoryForm, **context: object) -> tuple[str, int]:
    form.name.errors = [*form.name.errors, DUPLICATE_NAME]
    return render_form("categories/form.html", form, status=409, **context)
