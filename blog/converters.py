"""URL converters."""

from werkzeug.routing import IntegerConverter
from werkzeug.routing import Map

# The largest id an INTEGER primary key holds on every database we support; a bigger
# number in a URL is a 404, not an overflow error from the driver.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<id:post_id>`: a row id from 1 to MAX_ID; anything else does not match (404)."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=MAX_ID)
