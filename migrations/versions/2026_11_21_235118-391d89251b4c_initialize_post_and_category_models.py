"""initialize Post and Category models

Revision ID: 391d89251b4c
Revises:
Create Date: 2026-11-21 23:51:18.802390+00:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision = "391d89251b4c"
down_revision = None
branch_labels = None
depends_on = None

# blog.models.UTCDateTime, frozen here as the types it stores: naive UTC, with
# microseconds on MariaDB/MySQL too. Migrations never import the app's models.
timestamp = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
long_text = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")


def upgrade():
    op.create_table(
        "categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("created_at", timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categories")),
        sa.UniqueConstraint("name", name=op.f("uq_categories_name")),
    )
    op.create_table(
        "posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", long_text, nullable=False),
        sa.Column("created_at", timestamp, nullable=False),
        sa.Column("updated_at", timestamp, nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_posts_category_id_categories"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posts")),
    )
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_posts_category_id_created_at", ["category_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_posts_created_at", ["created_at"], unique=False)


def downgrade():
    # Dropping a table drops its indexes. Dropping them one by one first, as generated,
    # fails on MariaDB/MySQL: the foreign key on category_id needs its index.
    op.drop_table("posts")
    op.drop_table("categories")
