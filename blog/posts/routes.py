"""Post pages: list, read, write, edit, delete."""

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_login import current_user
from flask_login import login_required
from sqlalchemy import Row
from sqlalchemy import bindparam
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from werkzeug import Response

from blog.extensions import db
from blog.forms import DeleteForm
from blog.forms import render_form
from blog.models import Category
from blog.models import Post
from blog.models import post_names
from blog.models import posts_with_names
from blog.models import was_edited
from blog.page_cache import cached_for_visitors
from blog.pagination import int_argument
from blog.pagination import page_of_posts
from blog.posts.forms import UNKNOWN_CATEGORY
from blog.posts.forms import PostForm
from blog.sqlite import queued_write

bp = Blueprint("posts", __name__, template_folder="templates")

# The busiest pages' queries, built once (building costs more than running them), on the
# tables' columns: the pages need rows, not objects.
posts_table = Post.__table__.c
# One read, counted in the database itself, so concurrent readers never lose one. Naming
# updated_at keeps its onupdate from firing: a read is not an edit.
COUNT_READ = (
    update(Post.__table__)
    .where(posts_table.id == bindparam("post_id"))
    .values(read_count=posts_table.read_count + 1, updated_at=posts_table.updated_at)
)
POST_WITH_NAMES = posts_with_names().where(posts_table.id == bindparam("post_id"))
# Both in one statement, where the database has UPDATE ... RETURNING (SQLite, PostgreSQL;
# not MariaDB): one round trip and one transaction instead of two.
COUNT_READ_RETURNING_POST = COUNT_READ.returning(*Post.__table__.c, *post_names())
NOT_YOUR_POST = "Only the author of this post can change it."


@bp.get("/")
@cached_for_visitors
def index() -> str:
    """Newest posts first, a page at a time; `?category=<id>` keeps one category's posts."""
    category_id = int_argument("category")
    category = None
    if category_id is not None:
        category = db.get_or_404(Category, category_id, description="No such category.")
    return render_template("posts/index.html", page=page_of_posts(category_id), category=category)


@bp.get("/<id:post_id>")
def detail(post_id: int) -> str:
    """Show a post, counting one read."""
    post = read_post(post_id)
    return render_template("posts/detail.html", post=post, edited=was_edited(post))


def read_post(post_id: int) -> Row:
    """Count one read of a post and return it with its names (a row); 404 if none."""
    # One connection straight from the engine: a read needs no ORM session, whose work
    # would cost more than both statements. On SQLite, the counts queue (blog/sqlite.py).
    with db.engine.connect() as connection:
        if connection.dialect.update_returning:
            with queued_write(connection):
                result = connection.execute(COUNT_READ_RETURNING_POST, {"post_id": post_id})
                post = result.first()
                connection.commit()
        else:
            with queued_write(connection):
                connection.execute(COUNT_READ, {"post_id": post_id})
                connection.commit()  # at once: the write lock is held no longer than the UPDATE
            post = connection.execute(POST_WITH_NAMES, {"post_id": post_id}).first()
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
        db.session.add(post)
        if save(form):
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
        if save(form):
            flash("Post updated.", "success")
            return redirect(url_for("posts.detail", post_id=post.id))
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


def save(form: PostForm) -> bool:
    """Commit the post; if its category was deleted since validation, say so on the form."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        form.category_id.errors = [*form.category_id.errors, UNKNOWN_CATEGORY]
        return False
    return True
