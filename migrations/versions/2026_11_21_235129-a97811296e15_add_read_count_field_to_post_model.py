"""add read_count field to Post model

Revision ID: a97811296e15
Revises: 391d89251b4c
Create Date: 2026-11-21 23:51:29.157336+00:00

"""

import sqlite3

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a97811296e15"
down_revision = "391d89251b4c"
branch_labels = None
depends_on = None

# Reviewed by hand: autogenerate wrote both steps in batch mode, which on SQLite copies the
# whole posts table (a server default given as SQL forces the copy). Both are single ALTERs
# instead, O(1) on every engine: SQLite, PostgreSQL 11+ and MariaDB 10.3+ add a column with
# a constant default without rewriting the table, and drop one in place.


def upgrade():
    # NOT NULL on a table that may hold posts: the server default gives each of them 0.
    op.add_column(
        "posts", sa.Column("read_count", sa.Integer(), server_default=sa.text("0"), nullable=False)
    )


def downgrade():
    if op.get_context().dialect.name == "sqlite" and sqlite3.sqlite_version_info < (3, 35):
        # SQLite before 3.35 has no DROP COLUMN: batch mode rebuilds the table without it.
        with op.batch_alter_table("posts") as batch_op:
            batch_op.drop_column("read_count")
    else:
        op.drop_column("posts", "read_count")
