"""Post pages: list, read, write, edit, delete."""

from typing import Any

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_login import current_user
from flask_login import login_required
from sqlalchemy import ColumnElement
from sqlalchemy import Row
from sqlalchemy import bindparam
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from werkzeug import Response

from blog.extensions import db
from blog.health import release_complete
from blog.models import Category
from blog.models import Post
from blog.models import post_names
from blog.models import posts_with_names
from blog.models import was_edited
from blog.posts.forms import UNKNOWN_CATEGORY
from blog.posts.forms import PostForm
from blog.posts.saving import commit_new_post
from blog.sqlite import queued_write
from blog.web.forms import DeleteForm
from blog.web.forms import render_form
from blog.web.page_cache import cached_for_visitors
from blog.web.pagination import int_argument
from blog.web.pagination import page_of_posts

bp = Blueprint("posts", __name__, template_folder="templates")

posts_table = Post.__table__.c
NOT_YOUR_POST = "Only the author of this post can change it."


class ReadQueries:
    """The busiest page's queries, for posts found by `column` (id or slug): built once
    (building costs more than running them), on the table's columns, as the page needs
    rows, not objects."""

    def __init__(self, column: ColumnElement[Any]) -> None:
        # One read, counted in the database itself, so concurrent readers never lose one.
        # Naming updated_at keeps its onupdate from firing: a read is not an edit.
        self.count_read = (
            update(Post.__table__)
            .where(column == bindparam("key"))
            .values(read_count=posts_table.read_count + 1, updated_at=posts_table.updated_at)
        )
        self.post_with_names = posts_with_names().where(column == bindparam("key"))
        # Both in one statement, where the database has UPDATE ... RETURNING (SQLite,
        # PostgreSQL; not MariaDB): one round trip and one transaction instead of two.
        self.count_read_returning_post = self.count_read.returning(
            *Post.__table__.c, *post_names()
        )


BY_ID = ReadQueries(posts_table.id)
BY_SLUG = ReadQueries(posts_table.slug)


@bp.get("/")
@cached_for_visitors
def index() -> str:
    """Newest posts first, a page at a time; `?category=<id>` keeps one category's posts."""
    category_id = int_argument("category")
    category = None
    if category_id is not None:
        category = db.get_or_404(Category, category_id, description="No such category.")
    return render_template("posts/index.html", page=page_of_posts(category_id), category=category)


@bp.get("/<slug:slug>")
def detail(slug: str) -> str:
    """Show a post, counting one read."""
    return show(read_post(slug))


@bp.get("/<id:post_id>")
def by_id(post_id: int) -> Response | str:
    """A post's URL before slugs, in every link already out there: a permanent redirect
    to its slug's. While the deploy that brings slugs is not complete, the post is shown
    here instead (the previous release, which may answer the next request, knows no slug
    URL; and a post it wrote has no slug yet)."""
    if not release_complete():
        return show(read_post(post_id))
    found = db.session.execute(select(Post.slug).where(Post.id == post_id)).first()
    if found is None:
        abort(404, description="No such post.")
    return redirect(url_for("posts.detail", slug=found.slug), 301)


def show(post: Row[*tuple[Any, ...]]) -> str:
    return render_template("posts/detail.html", post=post, edited=was_edited(post))


@bp.app_template_filter("post_key")
def post_key(post: Row[*tuple[Any, ...]] | Post) -> str | int:
    """What names the post in its URLs: its slug, or its id until the deploy that brings
    slugs is complete (see by_id)."""
    if post.slug is None or not release_complete():
        return post.id
    return post.slug


@bp.app_template_filter("post_url")
def post_url(post: Row[*tuple[Any, ...]] | Post) -> str:
    key = post_key(post)
    if isinstance(key, str):
        return url_for("posts.detail", slug=key)
    return url_for("posts.by_id", post_id=key)


def read_post(key: int | str) -> Row[*tuple[Any, ...]]:
    """Count one read of a post, found by its id (an int) or its slug (a str), and return
    it with its names (a row); 404 if none."""
    queries = BY_SLUG if isinstance(key, str) else BY_ID
    # One connection straight from the engine: a read needs no ORM session, whose work
    # would cost more than both statements. On SQLite, the counts queue (blog/sqlite.py).
    with db.engine.connect() as connection:
        if connection.dialect.update_returning:
            with queued_write(connection):
                result = connection.execute(queries.count_read_returning_post, {"key": key})
                post = result.first()
                connection.commit()
        else:
            with queued_write(connection):
                connection.execute(queries.count_read, {"key": key})
                connection.commit()  # at once: the write lock is held no longer than the UPDATE
            post = connection.execute(queries.post_with_names, {"key": key}).first()
    if post is None:
        abort(404, description="No such post.")
    return post


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create() -> Response | tuple[str, int]:
    form = PostForm()
    if form.validate_on_submit():
        post = Post(author_id=current_user.id)
        form.populate_obj(post)
        if save(form, post, new=True):
            flash(f"Post “{post.title}” created.", "success")
            return redirect(url_for("posts.index"))
    return render_form("posts/form.html", form, heading="New post")


@bp.route("/<id:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit(post_id: int) -> Response | tuple[str, int]:
    post = own_post_or_abort(post_id, current_user.id)
    form = PostForm(obj=post)
    if form.validate_on_submit():
        form.populate_obj(post)
        if save(form, post, new=False):
            flash("Post updated.", "success")
            return redirect(post_url(post))
    return render_form("posts/form.html", form, heading="Edit post", post=post)


@bp.route("/<id:post_id>/delete", methods=["GET", "POST"])
@login_required
def delete(post_id: int) -> Response | str:
    """GET asks for confirmation; POST (with its CSRF token) deletes."""
    post = own_post_or_abort(post_id, current_user.id)
    form = DeleteForm()
    if form.validate_on_submit():
        db.session.delete(post)
        db.session.commit()
        flash(f"Post “{post.title}” deleted.", "success")
        return redirect(url_for("posts.index"))
    return render_template("posts/delete.html", post=post, form=form)


def own_post_or_abort(post_id: int, user_id: int) -> Post:
    """The user's post: 404 if there is no such post, 403 if it is someone else's (or
    nobody's: posts from before accounts have no author to change them)."""
    post = db.get_or_404(Post, post_id, description="No such post.")
    if post.author_id != user_id:
        abort(403, description=NOT_YOUR_POST)
    return post


def save(form: PostForm, post: Post, *, new: bool) -> bool:
    """Commit the post (a new one under a free slug); if its category was deleted since
    validation, say so on the form."""
    try:
        if new:
            commit_new_post(post)
        else:
            db.session.commit()
    except IntegrityError:
        db.session.rollback()
        form.category_id.errors = [*form.category_id.errors, UNKNOWN_CATEGORY]
        return False
    return True
