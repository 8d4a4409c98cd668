"""add slugs to posts

Revision ID: e8d7040e9847
Revises: b18505927d6b
Create Date: 2026-12-01 22:25:57.952626+00:00

"""

import sqlite3

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e8d7040e9847"
down_revision = "b18505927d6b"
branch_labels = None
depends_on = None
# When `flask deploy` runs it: "pre-deploy" (safe while the previous release still serves)
# or "post-deploy" (only once the new release serves everywhere): blog/migrating/phases.py.
phase = "pre-deploy"

# Reviewed by hand. Autogenerate wrote the column NOT NULL with no default, and its unique
# index, in one batch block: on SQLite that copies the posts table, on every engine it
# fails on a table that has posts, and the previous release, which writes no slugs, could
# not serve on it. An expand/contract in three revisions instead:
# 1. this one (pre-deploy): the column, nullable. O(1) on every engine (a catalog change);
#    on PostgreSQL it needs a moment's ACCESS EXCLUSIVE lock, waited for at most 500 ms
#    at a time (blog/migrating/).
# 2. 6c2f9a1d3b57 (pre-deploy): the unique index built without stopping writes, then every
#    post's slug filled in batches.
# 3. 0f4e7b2c9a68 (post-deploy): the posts the previous release wrote meanwhile named,
#    then NOT NULL.


def upgrade():
    op.add_column("posts", sa.Column("slug", sa.String(length=100), nullable=True))


def downgrade():
    if op.get_context().dialect.name == "sqlite" and sqlite3.sqlite_version_info < (3, 35):
        # SQLite before 3.35 has no DROP COLUMN: batch mode rebuilds the table without it.
        with op.batch_alter_table("posts") as batch_op:
            batch_op.drop_column("slug")
    else:
        op.drop_column("posts", "slug")
