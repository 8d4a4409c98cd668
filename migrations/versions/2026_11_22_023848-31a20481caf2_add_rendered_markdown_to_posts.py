"""add rendered Markdown to posts

Revision ID: 31a20481caf2
Revises: 516cfe85f177
Create Date: 2026-11-22 02:38:48.690761+00:00

"""

import sqlite3

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision = "31a20481caf2"
down_revision = "516cfe85f177"
branch_labels = None
depends_on = None

# Reviewed by hand: plain ADD COLUMN and DROP COLUMN instead of batch mode, O(1) on every
# engine (SQLite before 3.35 has no DROP COLUMN: batch mode there). Both columns are
# nullable and stay NULL for existing posts: their bodies were written as plain text,
# not Markdown, and are shown as such (blog/models.py). No data moves.
long_text = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")


def upgrade():
    op.add_column("posts", sa.Column("body_html", long_text, nullable=True))
    op.add_column("posts", sa.Column("excerpt", sa.String(length=300), nullable=True))


def downgrade():
    if op.get_context().dialect.name == "sqlite" and sqlite3.sqlite_version_info < (3, 35):
        with op.batch_alter_table("posts") as batch_op:
            batch_op.drop_column("excerpt")
            batch_op.drop_column("body_html")
    else:
        op.drop_column("posts", "excerpt")
        op.drop_column("posts", "body_html")
