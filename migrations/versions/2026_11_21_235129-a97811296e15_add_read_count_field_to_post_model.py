"""add read_count field to Post model

Revision ID: a97811296e15
Revises: 391d89251b4c
Create Date: 2026-11-21 23:51:29.157336+00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a97811296e15"
down_revision = "391d89251b4c"
branch_labels = None
depends_on = None


def upgrade():
    # NOT NULL on a table that may hold posts: the server default gives each of them 0.
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("read_count", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )


def downgrade():
    # On SQLite, batch mode copies posts into a new table without the column.
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_column("read_count")
