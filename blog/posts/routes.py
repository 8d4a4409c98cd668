"""Post pages: list, read, write, edit, delete."""

from types import SimpleNamespace

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_login import current_user
from flask_login import login_required
from sqlalchemy import select
from werkzeug import Response

from blog.categories.service import category_or_404
from blog.extensions import db
from blog.health import release_complete
from blog.models import Post
from blog.models import was_edited
from blog.posts.forms import UNKNOWN_CATEGORY
from blog.posts.forms import PostForm
from blog.posts.links import post_key
from blog.posts.links import post_url
from blog.posts.service import NO_SUCH_POST
from blog.posts.service import UnknownCategory
from blog.posts.service import delete_post
from blog.posts.service import own_post_or_abort
from blog.posts.service import read_post
from blog.posts.service import save_post
from blog.web.forms import DeleteForm
from blog.web.forms import render_form
from blog.web.page_cache import cached_for_visitors
from blog.web.pagination import cursor_arguments
from blog.web.pagination import int_argument
from blog.web.pagination import page_of_posts
from blog.web.rate_limits import limit_writes

bp = Blueprint("posts", __name__, template_folder="templates")
limit_writes(bp)
bp.add_app_template_filter(post_key)
bp.add_app_template_filter(post_url)
bp.add_app_template_global(release_complete)


@bp.get("/")
@cached_for_visitors
def index() -> str:
    """Newest posts first, a page at a time; `?category=<id>` keeps one category's posts."""
    category_id = int_argument("category")
    category = category_or_404(category_id) if category_id is not None else None
    page = page_of_posts(category_id, *cursor_arguments())
    return render_template("posts/index.html", page=page, category=category)


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
        abort(404, description=NO_SUCH_POST)
    return redirect(url_for("posts.detail", slug=found.slug), 301)


def show(post: SimpleNamespace) -> str:
    return render_template("posts/detail.html", post=post, edited=was_edited(post))


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
        title = post.title
        delete_post(post)
        flash(f"Post “{title}” deleted.", "success")
        return redirect(url_for("posts.index"))
    return render_template("posts/delete.html", post=post, form=form)


def save(form: PostForm, post: Post, *, new: bool) -> bool:
    """Save the post; if its category is not there (or went since the form was sent), say
    so on the form."""
    try:
        save_post(post, new=new)
    except UnknownCategory:
        form.category_id.errors = [*form.category_id.errors, UNKNOWN_CATEGORY]
        return False
    return True
