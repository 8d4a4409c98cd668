"""Post bodies: Markdown in, sanitized HTML and a plain-text excerpt out.

Rendered once, when a body is written (see Post.body), never at each read.
"""

from functools import cache
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

# What a post may contain after rendering; anything else is removed, whatever Markdown let
# through. Raw HTML in Markdown is not even rendered: it shows as text.
ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s",
    "code", "pre", "blockquote", "ul", "ol", "li", "a", "img",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
# A link defined once can be used thousands of times, each copying its URL: a 100 KB body
# could render to 600 MB. Past this, a body is refused (bodies are checked before saving).
MAX_HTML_LENGTH = 1_000_000
TOO_MUCH_HTML = (
    f"This text renders to more than {MAX_HTML_LENGTH:,} characters of HTML:"
    " repeat its links and images less."
)
# Tokens whose text a reader sees, for the excerpt.
TEXT_TOKENS = {"text", "code_inline", "image"}


@cache
def markdown() -> "MarkdownIt":
    # Imported at first use: `flask db` and the read-only pages never render Markdown.
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


@lru_cache(maxsize=4)  # a body is checked, then rendered again as it is saved
def render_markdown(body: str) -> tuple[str, str]:
    """The body as sanitized HTML, and as plain text for excerpts (whitespace collapsed)."""
    import nh3

    parser = markdown()
    tokens = parser.parse(body)
    html = nh3.clean(
        parser.renderer.render(tokens, parser.options, {}),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
    )
    words: list[str] = []
    for token in tokens:
        if token.type == "inline":
            for child in token.children or ():
                text = child.content if child.type in TEXT_TOKENS else " "
                words.append(text)
            words.append(" ")
        elif token.type in ("code_block", "fence"):
            words.extend((token.content, " "))
    return html, " ".join("".join(words).split())


def check_rendered_size(body: str) -> str:
    """`body`, if its HTML stays within MAX_HTML_LENGTH; ValueError (TOO_MUCH_HTML) if not."""
    html, _ = render_markdown(body)
    if len(html) > MAX_HTML_LENGTH:
        raise ValueError(TOO_MUCH_HTML)
    return body


def excerpt(text: str, length: int) -> str:
    """At most `length` characters of `text`, cut at a word boundary where one is near."""
    if len(text) <= length:
        return text
    cut = text[: length - 1]
    if " " in cut[length // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut + "…"
