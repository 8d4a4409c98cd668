"""index and fill post slugs

Revision ID: 6c2f9a1d3b57
Revises: e8d7040e9847
Create Date: 2026-12-01 22:30:40.171121+00:00

"""

import sqlalchemy as sa

from blog.migrating.backfill import backfill
from blog.migrating.indexes import create_index
from blog.migrating.indexes import drop_index
from blog.slugs import slugs_for_rows

# revision identifiers, used by Alembic.
revision = "6c2f9a1d3b57"
down_revision = "e8d7040e9847"
branch_labels = None
depends_on = None
# When `flask deploy` runs it: "pre-deploy" (safe while the previous release still serves)
# or "post-deploy" (only once the new release serves everywhere): blog/migrating/phases.py.
phase = "pre-deploy"

# Written by hand, the second step of e8d7040e9847's expand/contract. Both steps run
# outside the run's transaction, under the run lock, and either can run again after a
# failure or a kill (blog/migrating/):
# - The unique index first, while every slug is still NULL (NULLs never clash): from then
#   on, no two posts can share a slug, the backfill's included. PostgreSQL builds it
#   CONCURRENTLY (writes go on) with varchar_pattern_ops, which also answers "slugs
#   starting with ..." (blog/slugs.py); MariaDB in place; SQLite holds its write lock
#   for the build (about a second at a million posts here).
# - Then each post's slug, from its title as the app makes them (blog/slugs.py), 1,000
#   posts per UPDATE, each committed by itself. The previous release keeps serving and
#   writing posts without slugs meanwhile: those written before the backfill ends are
#   filled too (the walk goes by id, and theirs are the highest), the rest by 0f4e7b2c9a68.
posts = sa.table("posts", sa.column("id"), sa.column("title"), sa.column("slug"))


def upgrade():
    create_index(
        "uq_posts_slug",
        "posts",
        ["slug"],
        unique=True,
        postgresql_ops={"slug": "varchar_pattern_ops"},
    )
    backfill(posts, "slug", slugs_for_rows(posts.c.slug), using=["title"], label="Naming posts")


def downgrade():
    # The slugs stay, in a column that may be NULL again; e8d7040e9847's downgrade drops it.
    drop_index("uq_posts_slug", "posts")
