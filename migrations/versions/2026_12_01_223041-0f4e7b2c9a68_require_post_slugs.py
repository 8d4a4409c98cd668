"""require post slugs

Revision ID: 0f4e7b2c9a68
Revises: 6c2f9a1d3b57
Create Date: 2026-12-01 22:30:41.363693+00:00

"""

import sqlalchemy as sa

from blog.migrating.backfill import backfill
from blog.migrating.not_null import drop_not_null
from blog.migrating.not_null import set_not_null
from blog.slugs import slugs_for_rows

# revision identifiers, used by Alembic.
revision = "0f4e7b2c9a68"
down_revision = "6c2f9a1d3b57"
branch_labels = None
depends_on = None
# When `flask deploy` runs it: "pre-deploy" (safe while the previous release still serves)
# or "post-deploy" (only once the new release serves everywhere): blog/migrating/phases.py.
phase = "post-deploy"

# Written by hand, the contract step of e8d7040e9847's expand/contract: post-deploy,
# because the previous release writes posts without slugs, which NOT NULL would refuse.
# Once only the new release serves, which names every post it writes:
# - a last pass names the posts the previous release wrote after 6c2f9a1d3b57's backfill
#   (in batches, as there; usually none or a few);
# - then NOT NULL without a long lock (blog/migrating/not_null.py): on PostgreSQL through
#   a CHECK added NOT VALID and validated, on MariaDB in place, on SQLite by editing the
#   table's definition, O(1), where batch mode would copy every post.
posts = sa.table("posts", sa.column("id"), sa.column("title"), sa.column("slug"))


def upgrade():
    backfill(posts, "slug", slugs_for_rows(posts.c.slug), using=["title"], label="Naming posts")
    set_not_null("posts", "slug", sa.String(length=100))


def downgrade():
    drop_not_null("posts", "slug", sa.String(length=100))
