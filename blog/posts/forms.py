"""The form for writing and editing a post."""

from sqlalchemy import select
from wtforms import SelectField
from wtforms import SubmitField
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired
from wtforms.validators import Length
from wtforms.validators import ValidationError

from blog.extensions import db
from blog.models import MAX_BODY_LENGTH
from blog.models import TITLE_LENGTH
from blog.models import Category
from blog.rendering import check_rendered_size
from blog.web.forms import PageForm
from blog.web.forms import line_field
from blog.web.forms import optional_id
from blog.web.forms import printable_text

UNKNOWN_CATEGORY = "Choose a category from the list."


def renders_within_limit(form: PageForm, field: TextAreaField) -> None:
    """Validator: refuse a body whose HTML would be too big to store (blog.rendering)."""
    if not field.errors and isinstance(field.data, str):
        try:
            check_rendered_size(field.data)
        except ValueError as error:
            raise ValidationError(str(error)) from None


class PostForm(PageForm):
    title = line_field("Title", "Give the post a title.", TITLE_LENGTH)
    body = TextAreaField(
        "Body",
        validators=[
            DataRequired("Write something."),
            Length(max=MAX_BODY_LENGTH),
            printable_text,
            renders_within_limit,
        ],
    )
    category_id = SelectField(
        "Category",
        coerce=optional_id,
        validate_choice=False,
        invalid_value_message=UNKNOWN_CATEGORY,
    )
    submit = SubmitField("Save")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        categories = db.session.execute(select(Category.id, Category.name).order_by(Category.name))
        self.category_id.choices = [
            SelectChoice("", "No category"),
            *(SelectChoice(id, name) for id, name in categories),
        ]
