"""The form for creating and renaming a category."""

from wtforms import StringField
from wtforms import SubmitField
from wtforms.validators import DataRequired
from wtforms.validators import Length

from blog.models import CATEGORY_NAME_LENGTH
from blog.web.forms import PageForm
from blog.web.forms import printable_text
from blog.web.forms import strip


class CategoryForm(PageForm):
    name = StringField(
        "Name",
        validators=[
            DataRequired("Give the category a name."),
            Length(max=CATEGORY_NAME_LENGTH),
            printable_text,
        ],
        filters=[strip],
    )
    submit = SubmitField("Save")
