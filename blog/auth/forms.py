"""The sign-in and sign-out forms."""

from wtforms import PasswordField
from wtforms import StringField
from wtforms import SubmitField
from wtforms.validators import DataRequired
from wtforms.validators import Length

from blog.auth.accounts import MAX_PASSWORD_LENGTH
from blog.models import USER_NAME_LENGTH
from blog.web.forms import PageForm
from blog.web.forms import strip


class SignInForm(PageForm):
    name = StringField(
        "Name",
        validators=[DataRequired("Enter your name."), Length(max=USER_NAME_LENGTH)],
        filters=[strip],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired("Enter your password."), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Sign in")


class SignOutForm(PageForm):
    """A button; its CSRF token keeps other sites from signing anyone out."""

    submit = SubmitField("Sign out")
