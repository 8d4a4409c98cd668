"""Row ids in URLs, query strings and forms: one rule for what counts as an id."""

from werkzeug.routing import IntegerConverter
from werkzeug.routing import Map

# The largest id an INTEGER primary key holds on every database we support; a bigger
# number is "no such row", never an overflow error from the driver.
MAX_ID = 2**31 - 1


def parse_id(text: str) -> int | None:
    """`text` as a row id: ASCII digits only, from 1 to MAX_ID; None for anything else."""
    if text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_ID:
        return int(text)
    return None


class IdConverter(IntegerConverter):
    """`<id:post_id>`: a row id from 1 to MAX_ID; anything else does not match (404)."""

    regex = r"[0-9]+"

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=MAX_ID)
