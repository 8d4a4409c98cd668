"""Markdown bodies: rendered, sanitized, and never a way to run script in a reader's page."""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from blog.extensions import db
from blog.models import Post
from blog.rendering import excerpt
from blog.rendering import render_markdown

XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">raw link</a>',
    "<svg onload=alert(1)><circle r=1 /></svg>",
    '<iframe src="https://evil.example"></iframe>',
    '<div onclick="alert(1)">div</div>',
    "<style>body { display: none }</style>",
    "<object data=x></object><embed src=x>",
    "[link](javascript:alert(1))",
    "[link](JaVaScRiPt:alert(1))",
    "[link](  javascript:alert(1))",
    "[link](&#106;avascript:alert(1))",
    "[link](java\tscript:alert(1))",
    "[link](vbscript:msgbox(1))",
    "[link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<javascript:alert(1)>",
    "![image](javascript:alert(1))",
    '[link](https://ok.example "a\\" onmouseover=\\"alert(1)")',
    '[ref][r]\n\n[r]: javascript:alert(1) "title"',
    "<!-- <script>alert(1)</script> -->",
    "```\n</code></pre><script>alert(1)</script>\n```",
    "`<img src=x onerror=alert(1)>`",
    "> <b onmouseover=alert(1)>quote</b>",
]
DANGEROUS_TAGS = {"script", "iframe", "svg", "style", "object", "embed", "form", "input", "math"}
SAFE_SCHEMES = {"", "http", "https", "mailto"}


class Tags(HTMLParser):
    """Every tag and attribute in a page, as a browser's parser would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, attrs))


def assert_harmless(page: str) -> None:
    parser = Tags()
    parser.feed(page)
    for tag, attributes in parser.tags:
        assert tag not in DANGEROUS_TAGS, tag
        for name, value in attributes:
            assert not name.startswith("on"), (tag, name, value)
            assert name != "style", (tag, value)
            if name in ("href", "src", "action", "formaction"):
                scheme = urlsplit((value or "").strip()).scheme.lower()
                assert scheme in SAFE_SCHEMES, (tag, name, value)


@pytest.mark.parametrize("payload", XSS)
def test_no_payload_reaches_a_page_unescaped(app, client, author, payload):
    response = client.post("/posts/new", data={"title": payload[:200], "body": payload})
    assert response.status_code == 302
    with app.app_context():
        slug = db.session.scalar(select(Post.slug))
    for url in (f"/posts/{slug}", "/"):
        response = client.get(url)
        assert response.status_code == 200
        page = response.text
        # The page's own forms (signing out) are in the header; posts are in <main>.
        assert_harmless(page[page.index("<main>") : page.index("</main>")])
        assert "<script" not in page.lower()


def test_raw_html_shows_as_text(client, author, save):
    save(Post(title="t", body="<b>bold?</b>", author_id=author.id))
    assert "&lt;b&gt;bold?&lt;/b&gt;" in client.get("/posts/t").text


def test_markdown_renders_headings_links_lists_and_code(client, save, author):
    body = (
        "# Heading\n\nSome *emphasis* and **strength**, `code` and a "
        "[link](https://example.org/a?b=1&c=2).\n\n- one\n- two\n\n1. first\n2. second\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nprint('hi')\n```\n"
    )
    save(Post(title="Markdown", body=body, author_id=author.id))
    page = client.get("/posts/markdown").text
    for html in (
        "<h1>Heading</h1>",
        "<em>emphasis</em>",
        "<strong>strength</strong>",
        "<code>code</code>",
        '<a href="https://example.org/a?b=1&amp;c=2" rel="nofollow noopener noreferrer">link</a>',
        "<ul>\n<li>one</li>\n<li>two</li>\n</ul>",
        "<ol>\n<li>first</li>",
        "<th>a</th>",
        "<pre><code>print('hi')",
    ):
        assert html in page, html


def test_the_list_shows_a_plain_text_excerpt(client, save, author):
    save(
        Post(
            title="Post",
            body="## Intro\n\nRead [the docs](https://example.org) & <b>this</b>:\n\n- a\n- b\n",
            author_id=author.id,
        )
    )
    [shown] = re.findall(r'<p class="excerpt">(.*?)</p>', client.get("/").text, re.S)
    assert shown == "Intro Read the docs &amp; &lt;b&gt;this&lt;/b&gt;: a b"


def test_posts_from_before_markdown_show_their_plain_text(app, client, save, author):
    save(Post(title="Old", body="line one\n# not a heading", author_id=author.id))
    with app.app_context():  # as the migration left them: no rendered body, no excerpt
        db.session.execute(
            Post.__table__.update().values(
                body_html=None, excerpt=None, updated_at=Post.updated_at
            )
        )
        db.session.commit()
    page = client.get("/posts/old").text
    assert '<div class="body plain">line one\n# not a heading</div>' in page
    assert "line one\n# not a heading" in client.get("/").text


def test_editing_renders_the_new_body(client, save, author):
    [post] = save(Post(title="t", body="*old*", author_id=author.id))
    client.post(f"/posts/{post}/edit", data={"title": "t", "body": "**new**"})
    page = client.get("/posts/t").text
    assert "<strong>new</strong>" in page and "<em>old</em>" not in page


def test_render_markdown_returns_html_and_text():
    html, text = render_markdown(
        "# Title\n\nA [link](https://x.example) and ![alt](https://x/i.png)"
    )
    assert html.startswith("<h1>Title</h1>")
    assert '<img src="https://x/i.png" alt="alt">' in html
    assert text == "Title A link and alt"


@pytest.mark.parametrize(
    ("text", "length", "expected"),
    [
        ("short", 10, "short"),
        ("exactly ten", 11, "exactly ten"),
        ("one two three four", 12, "one two…"),
        ("abcdefghijklmnop", 8, "abcdefg…"),
    ],
)
def test_excerpt_cuts_at_a_word(text, length, expected):
    assert excerpt(text, length) == expected
    assert len(excerpt(text, length)) <= length


def test_a_body_that_renders_to_too_much_html_is_refused(app, client, author):
    # One link defined once and used thousands of times: a few KB that would render to MBs.
    body = "[r]: https://example.org/" + "a" * 500 + "\n\n" + "[r] " * 2500
    page = client.post("/posts/new", data={"title": "Big", "body": body})
    assert page.status_code == 422
    assert "renders to more than 1,000,000 characters of HTML" in page.text
    with app.app_context():
        assert db.session.scalar(select(Post.id)) is None
