"""Row ids in URLs, query strings and forms (one rule for what counts as an id), and post
slugs in URLs."""

from werkzeug.routing import BaseConverter
from werkzeug.routing import IntegerConverter

from blog.slugs import SLUG_PATTERN

# The largest id an INTEGER primary key holds on every database we support; a bigger
# number is "no such row", never an overflow error from the driver.
MAX_ID = 2**31 - 1


def parse_id(text: str) -> int | None:
    """`text` as a row id: ASCII digits only, from 1 to MAX_ID; None for anything else."""
    if text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_ID:
        return int(text)
    return None


class IdConverter(IntegerConverter):
    """`<id:post_id>`: a row id. Digits out of range (0, or past MAX_ID) become 0, an id no
    row has, so the view answers 404 as for any missing row.

    Not a failed match: when a converter rejects a value, Werkzeug's router answers the
    methods the URL does not take with 405 instead of 404, and an Allow header that is wrong.
    """

    regex = r"[0-9]+"

    def to_python(self, value: str) -> int:
        return parse_id(value) or 0


class SlugConverter(BaseConverter):
    """`<slug:slug>`: a post's slug (blog/slugs.py). All digits is an id, and the id
    converter, which Werkzeug tries first (its weight is lower), takes it."""

    regex = SLUG_PATTERN


class PostKeyConverter(BaseConverter):
    """`<post_key:post>`: a post's id or its slug, in one URL (the API's, where one rule
    documents both): all digits is an id, as with IdConverter."""

    regex = f"(?:[0-9]+|{SLUG_PATTERN})"

    def to_python(self, value: str) -> int | str:
        return (parse_id(value) or 0) if value.isdigit() else value

    def to_url(self, value: int | str) -> str:
        return str(value)
