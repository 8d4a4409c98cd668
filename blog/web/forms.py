"""Form pieces shared by the posts and categories pages."""

import re

from flask import render_template
from flask import request
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms import StringField
from wtforms import SubmitField
from wtforms.validators import DataRequired
from wtforms.validators import Length
from wtforms.validators import ValidationError

from blog.web.converters import parse_id


class PageForm(FlaskForm):
    """A form posted from one of our pages: HTML form fields only.

    Flask-WTF would also read a JSON body as form data, with numbers, lists and objects
    where the fields expect text.
    """

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form: FlaskForm, formdata: object) -> object:
            if request.is_json:
                return request.form  # empty: the fields keep their defaults
            return super().wrap_formdata(form, formdata)


class DeleteForm(PageForm):
    """A confirmation button; its CSRF token is what makes the delete safe."""

    submit = SubmitField("Delete")


# Control characters other than tab and newlines: no text needs them, and PostgreSQL
# refuses NUL outright.
CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"  # a regex class's contents
# And lone surrogates, which are no characters at all (a JSON "\ud800" makes one) and which
# no UTF-8 database can store.
CONTROL_CHARACTERS = re.compile(f"[{CONTROL}\\ud800-\\udfff]")
NO_CONTROL_CHARACTERS = "Remove the control characters (such as NUL) from this text."


def printable_text(form: FlaskForm, field: Field) -> None:
    """Validator: reject text with control characters, instead of failing in the database."""
    if isinstance(field.data, str) and CONTROL_CHARACTERS.search(field.data):
        raise ValidationError(NO_CONTROL_CHARACTERS)


def line_field(label: str, missing: str, max_length: int) -> StringField:
    """A one-line text field (a title, a name): required, at most `max_length` characters,
    no control characters, kept without its surrounding whitespace."""
    validators = [DataRequired(missing), Length(max=max_length), printable_text]
    return StringField(label, validators=validators, filters=[strip])


def strip(value: str | None) -> str | None:
    """Trim surrounding whitespace, so "  " is as empty as "" and names compare cleanly."""
    return value.strip() if isinstance(value, str) else value


def optional_id(value: object) -> int | None:
    """Coerce a select field's value: "" means none, otherwise a row id (ValueError if not)."""
    if value is None or value == "":
        return None
    number = parse_id(str(value))
    if number is None:
        raise ValueError(f"{value!r} is not a row id")
    return number


def render_form(
    template: str, form: FlaskForm, status: int | None = None, **context: object
) -> tuple[str, int]:
    """Render `template` with `form`: 200 when fresh, 422 when the submission was invalid."""
    if status is None:
        status = 422 if form.errors else 200
    return render_template(template, form=form, **context), status
