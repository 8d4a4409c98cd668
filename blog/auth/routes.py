"""Sign in and sign out."""

from urllib.parse import urlsplit

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import request
from flask import url_for
from flask_login import current_user
from flask_login import login_required
from flask_login import login_user
from flask_login import logout_user
from werkzeug import Response

from blog.auth.accounts import authenticate
from blog.auth.forms import SignInForm
from blog.auth.forms import SignOutForm
from blog.web.forms import render_form
from blog.web.rate_limits import limit_sign_in
from blog.web.rate_limits import remember_known_name

bp = Blueprint("auth", __name__, template_folder="templates")

WRONG_NAME_OR_PASSWORD = "Wrong name or password."


@bp.route("/sign-in", methods=["GET", "POST"])
@limit_sign_in
def sign_in() -> Response | tuple[str, int]:
    """Sign in, then go back to the page that asked (`?next=`, if it is on this site)."""
    if current_user.is_authenticated:
        return redirect(next_page())
    form = SignInForm()
    if form.validate_on_submit():
        user = authenticate(form.name.data, form.password.data)
        if user is None:
            form.form_errors.append(WRONG_NAME_OR_PASSWORD)
            return render_form("auth/sign_in.html", form, status=422)
        login_user(user)
        flash(f"Signed in as {user.name}.", "success")
        response = redirect(next_page())
        remember_known_name(response, user.name)
        return response
    return render_form("auth/sign_in.html", form)


@bp.post("/sign-out")
@login_required
def sign_out() -> Response:
    form = SignOutForm()
    if not form.validate_on_submit():
        abort(400, description="Sign out with the button on the page.")
    logout_user()
    flash("Signed out.", "success")
    return redirect(url_for("index"))


def next_page() -> str:
    """Where to go after signing in: `?next=` if it is a path on this site, else the list."""
    target = request.args.get("next", "")
    return target if is_local_path(target) else url_for("index")


def is_local_path(target: str) -> bool:
    """True for "/posts/new", false for anything a browser could take to another site:
    "https://evil.example", "//evil.example", "/\\evil.example", "javascript:..."."""
    if not target.startswith("/") or target.startswith("//"):
        return False
    # Browsers treat a backslash as a slash, and drop tabs and newlines from URLs.
    if "\\" in target or any(character <= " " or character == "\x7f" for character in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc
