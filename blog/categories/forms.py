"""The form for creating and renaming a category."""

from wtforms import SubmitField

from blog.models import CATEGORY_NAME_LENGTH
from blog.web.forms import PageForm
from blog.web.forms import line_field


class CategoryForm(PageForm):
    name = line_field("Name", "Give the category a name.", CATEGORY_NAME_LENGTH)
    submit = SubmitField("Save")
