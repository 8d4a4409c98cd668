"""`flask posts render`: posts without their HTML (written by a release from before
Markdown, or through a downgrade below it and back) rendered as the Post model renders
them; posts that have theirs left alone."""

from datetime import UTC
from datetime import datetime

import flask_migrate
from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import select

from blog.commands import posts as posts_module
from blog.extensions import db
from blog.models import Post
from tests.helpers import model_rendering
from tests.helpers import post_path
from tests.history import AUTHORS
from tests.history import HEAD
from tests.history import MARKDOWN
from tests.history import script_directory
from tests.history import version

BODY = "Some **bold** and `code`.\n\n- a list\n- of two\n\n```sh\nflask posts render\n```"
WRITTEN_AT = datetime(2026, 1, 1, tzinfo=UTC)


def render(runner):
    return runner.invoke(args=["posts", "render"])


def insert_unrendered(app, *bodies: str) -> list[int]:
    """Posts stored with plain Core inserts, as a release from before Markdown wrote them:
    no body_html, no excerpt."""
    rows = [
        {
            "title": f"Post {i}",
            "slug": f"post-{i}",
            "body": body,
            "created_at": WRITTEN_AT,
            "updated_at": WRITTEN_AT,
        }
        for i, body in enumerate(bodies)
    ]
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(insert(Post.__table__), rows)
        return list(connection.scalars(select(Post.id).order_by(Post.id)))[-len(rows) :]


def stored(app) -> dict[int, tuple]:
    """Each post's body, HTML, excerpt and last change, by id."""
    with app.app_context():
        rows = db.session.execute(
            select(Post.id, Post.body, Post.body_html, Post.excerpt, Post.updated_at)
        )
        return {row.id: tuple(row[1:]) for row in rows}


def assert_rendered_as_the_model_would(app) -> None:
    for post_id, (body, html, excerpt, _) in stored(app).items():
        assert html is not None, post_id
        assert (html, excerpt) == model_rendering(body), post_id


def test_a_post_without_html_is_rendered_and_others_are_left_alone(app, runner, save):
    [kept] = save(Post(title="Rendered", body="Already *rendered*."))
    with app.app_context(), db.engine.begin() as connection:
        # Not what its body renders to: rendering it again would show.
        connection.execute(
            Post.__table__.update().where(Post.id == kept).values(body_html="<p>kept</p>")
        )
    [raw] = insert_unrendered(app, BODY)
    before = stored(app)
    assert before[raw][1:3] == (None, None)
    result = render(runner)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "Rendered 1 post."
    after = stored(app)
    assert after[kept] == before[kept]
    _, html, excerpt, updated_at = after[raw]
    assert (html, excerpt) == model_rendering(BODY)
    assert "<strong>bold</strong>" in html and "<code>code</code>" in html
    assert excerpt == "Some bold and code. a list of two flask posts render"
    assert updated_at == before[raw][3]  # rendering is not editing


def test_a_second_run_renders_nothing(app, runner):
    insert_unrendered(app, "One", "Two")
    assert render(runner).output.splitlines()[-1] == "Rendered 2 posts."
    before = stored(app)
    result = render(runner)
    assert result.exit_code == 0
    assert result.output.splitlines() == ["Rendered 0 posts."]
    assert stored(app) == before


def test_posts_go_in_batches_of_ids_one_update_each(app, runner, monkeypatch, sql):
    monkeypatch.setattr(posts_module, "BATCH_SIZE", 2)
    ids = insert_unrendered(app, *(f"Post *{i}*" for i in range(7)))
    with app.app_context(), db.engine.begin() as connection:
        # A gap of a whole batch: its range is read, finds nothing, writes nothing.
        connection.execute(delete(Post.__table__).where(Post.id.in_(ids[2:4])))
    outputs = []
    statements = sql(lambda: outputs.append(render(runner).output))
    assert outputs[0].splitlines()[-1] == "Rendered 5 posts."
    updates = [statement for statement in statements if statement.startswith("UPDATE posts")]
    assert len(updates) == 3  # ids 1-2, 5-6, 7
    assert_rendered_as_the_model_would(app)


def test_a_post_edited_meanwhile_keeps_what_its_edit_rendered(app, runner, rival):
    [post_id] = insert_unrendered(app, "Old *body*")
    edit = (
        "UPDATE posts SET body = 'New **body**', body_html = '<p>New <strong>body</strong></p>'"
        f" WHERE id = {post_id}"
    )
    with rival("UPDATE posts", edit):
        result = render(runner)
    assert result.output.splitlines()[-1] == "Rendered 0 posts."
    assert stored(app)[post_id][:2] == ("New **body**", "<p>New <strong>body</strong></p>")


def test_without_posts_there_is_nothing_to_render(runner):
    result = render(runner)
    assert result.exit_code == 0
    assert result.output.splitlines() == ["Rendered 0 posts."]


def test_after_a_downgrade_below_markdown_and_back_posts_are_rendered(app, runner, client):
    """The downgrade drops body_html and excerpt, the upgrade back adds them empty: the
    posts show their Markdown as plain text, until `flask posts render`."""
    assert script_directory().get_revision(MARKDOWN).down_revision == AUTHORS
    result = runner.invoke(args=["seed", "--posts", "30", "--categories", "2", "--seed", "3"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        flask_migrate.downgrade(revision=AUTHORS)
        assert version(app) == [AUTHORS]
        flask_migrate.upgrade()
    assert version(app) == [HEAD]
    before = stored(app)
    assert len(before) == 30
    assert all(html is None and excerpt is None for _, html, excerpt, _ in before.values())
    with app.app_context():
        post_id = db.session.scalar(select(Post.id).where(Post.body.contains("**")))
    assert "<strong>" not in client.get(post_path(app, post_id)).text

    result = render(runner)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "Rendered 30 posts."
    assert_rendered_as_the_model_would(app)
    assert {post_id: row[3] for post_id, row in stored(app).items()} == {
        post_id: row[3] for post_id, row in before.items()
    }
    assert "<strong>" in client.get(post_path(app, post_id)).text
