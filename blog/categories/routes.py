"""Category pages: list with post counts, one category's posts, create, rename, delete."""

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_login import login_required
from werkzeug import Response

from blog.categories.forms import CategoryForm
from blog.categories.service import DUPLICATE_NAME
from blog.categories.service import category_or_404
from blog.categories.service import delete_category
from blog.categories.service import save_category
from blog.extensions import db
from blog.models import Category
from blog.models import categories_with_post_counts
from blog.web.forms import DeleteForm
from blog.web.forms import render_form
from blog.web.pagination import cursor_arguments
from blog.web.pagination import page_of_posts
from blog.web.rate_limits import limit_writes

bp = Blueprint("categories", __name__, template_folder="templates")
limit_writes(bp)


@bp.get("/")
def index() -> str:
    """Every category by name, with its number of posts, in one query."""
    rows = db.session.execute(categories_with_post_counts())
    return render_template("categories/index.html", categories=rows.all())


@bp.get("/<id:category_id>")
def detail(category_id: int) -> str:
    category = category_or_404(category_id)
    page = page_of_posts(category_id, *cursor_arguments())
    return render_template("categories/detail.html", category=category, page=page)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create() -> Response | tuple[str, int]:
    form = CategoryForm()
    if form.validate_on_submit():
        category = Category(name=form.name.data)
        if save_category(category):
            flash(f"Category “{category.name}” created.", "success")
            return redirect(url_for("categories.detail", category_id=category.id))
        return duplicate_name(form, heading="New category")
    return render_form("categories/form.html", form, heading="New category")


@bp.route("/<id:category_id>/edit", methods=["GET", "POST"])
@login_required
def edit(category_id: int) -> Response | tuple[str, int]:
    """Rename a category."""
    category = category_or_404(category_id)
    form = CategoryForm(obj=category)
    if form.validate_on_submit():
        category.name = form.name.data
        if save_category(category):
            flash("Category renamed.", "success")
            return redirect(url_for("categories.detail", category_id=category.id))
        return duplicate_name(form, heading="Rename category", category=category)
    return render_form("categories/form.html", form, heading="Rename category", category=category)


@bp.route("/<id:category_id>/delete", methods=["GET", "POST"])
@login_required
def delete(category_id: int) -> Response | str:
    """GET asks for confirmation; POST deletes the category and keeps its posts, uncategorized."""
    category = category_or_404(category_id)
    form = DeleteForm()
    if form.validate_on_submit():
        name = category.name
        delete_category(category)
        flash(f"Category “{name}” deleted; its posts are now uncategorized.", "success")
        return redirect(url_for("categories.index"))
    return render_template("categories/delete.html", category=category, form=form)


def duplicate_name(form: CategoryForm, **context: object) -> tuple[str, int]:
    form.name.errors = [*form.name.errors, DUPLICATE_NAME]
    return render_form("categories/form.html", form, status=409, **context)
