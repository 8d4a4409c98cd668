"""`flask posts render`: store the HTML and excerpt of posts that have none.

A post gets them when its body is written (Post.body), so only posts written otherwise
lack them: by a release from before Markdown, or while the database was downgraded below
the revision that added them (a downgrade drops the columns, and the upgrade back adds
them empty). Until rendered, such a post shows its Markdown as plain text.

A NULL body_html cannot tell the two apart: posts from before Markdown are rendered as
Markdown too, which is how the current release reads any body it is given to edit.
"""

import click
from flask.cli import AppGroup
from sqlalchemy import Connection
from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

from blog.extensions import db
from blog.models import EXCERPT_LENGTH
from blog.models import Post
from blog.rendering import excerpt
from blog.rendering import render_markdown

# Ids per batch, each batch committed by itself: short transactions, so that readers and
# writers (the SQLite write lock) wait a few milliseconds at most, and a run that stops
# keeps what it did.
BATCH_SIZE = 1_000

posts = AppGroup("posts", help="Look after the posts' stored content.")

table = Post.__table__
unrendered = (
    select(table.c.id, table.c.body)
    # An id range, not "the next 1,000 NULL rows": it is read from the primary key
    # whatever the planner thinks of body_html, and each row is looked at once.
    .where(table.c.id.between(bindparam("first"), bindparam("last")))
    .where(table.c.body_html.is_(None))
)
store_rendering = (
    update(table)
    .where(table.c.id == bindparam("post_id"))
    # Not a post edited since it was read: its edit rendered it, from its new body.
    .where(table.c.body_html.is_(None))
    # Naming updated_at keeps its onupdate from firing: rendering is not editing.
    .values(
        body_html=bindparam("html"), excerpt=bindparam("summary"), updated_at=table.c.updated_at
    )
)


@posts.command("render")
def render() -> None:
    """Render the posts that have no HTML, in batches.

    Those a release from before Markdown wrote, or all of them after a downgrade below the
    Markdown revision and back. Posts that have their HTML are left as they are.
    """
    rendered = 0
    with db.engine.connect() as connection:
        with connection.begin():
            remaining, first_id, last_id = connection.execute(
                select(func.count(), func.min(table.c.id), func.max(table.c.id)).where(
                    table.c.body_html.is_(None)
                )
            ).one()
        if remaining:
            with click.progressbar(
                length=remaining, label="Rendering posts", show_pos=True
            ) as bar:
                for first in range(first_id, last_id + 1, BATCH_SIZE):
                    done = render_batch(connection, first, first + BATCH_SIZE - 1)
                    rendered += done
                    bar.update(done)
    click.echo(f"Rendered {rendered:,} post{'' if rendered == 1 else 's'}.")


def render_batch(connection: Connection, first: int, last: int) -> int:
    """Render the posts without HTML whose ids are `first` to `last`; how many were."""
    with connection.begin():
        rows = connection.execute(unrendered, {"first": first, "last": last}).all()
    if not rows:
        return 0
    # Rendered outside any transaction: the write lock is held for the UPDATE alone.
    values = []
    for row in rows:
        html, text = render_markdown(row.body)
        values.append({"post_id": row.id, "html": html, "summary": excerpt(text, EXCERPT_LENGTH)})
    with connection.begin():
        return connection.execute(store_rendering, values).rowcount
