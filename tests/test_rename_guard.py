"""`flask db migrate` warns when a drop and an add look like a rename, and formats what it
writes with ruff (migrations/alembic.ini's post-write hooks)."""

import subprocess
import sys

import flask_migrate
import pytest
from alembic.operations import ops
from sqlalchemy import Column
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import MetaData
from sqlalchemy import String
from sqlalchemy import Table

from blog.extensions import db
from blog.migrating.rename_guard import as_comment
from blog.migrating.rename_guard import rename_warnings
from tests.history import copy_history

pytestmark = pytest.mark.migrations


class ScratchModels:
    """Stands in for the app's `db` in env.py: its engine, but models changed by a test."""

    def __init__(self, metadata: MetaData) -> None:
        self.metadata = metadata

    @property
    def engine(self):
        return db.engine


def models_with(change_posts) -> MetaData:
    """The app's models, with the posts table's columns passed through `change_posts`."""
    metadata = MetaData(naming_convention=db.metadata.naming_convention)
    for table in db.metadata.sorted_tables:
        if table.name != "posts":
            table.to_metadata(metadata)
    posts = db.metadata.tables["posts"]
    changed = Table("posts", metadata, *change_posts([c._copy() for c in posts.columns]))
    for index in posts.indexes:  # all on columns no test changes
        Index(index.name, *[changed.c[column.name] for column in index.columns])
    return metadata


def generate(app, tmp_path, metadata: MetaData):
    """Run `flask db migrate` on a database at head against `metadata`; (output, script)."""
    directory = copy_history(tmp_path / "migrations")
    with app.app_context():
        flask_migrate.upgrade(directory=str(directory))
    app.extensions["migrate"].db = ScratchModels(metadata)
    result = app.test_cli_runner().invoke(
        args=["db", "migrate", "-d", str(directory), "-m", "scratch"]
    )
    assert result.exit_code == 0, result.output
    [script] = (directory / "versions").glob("*_scratch.py")
    return result.output, script.read_text(), script


def renamed_title(columns):
    headline = Column("headline", String(200), nullable=False)
    return [headline if column.name == "title" else column for column in columns]


def title_replaced_by_a_number(columns):
    rating = Column("rating", Integer(), nullable=True)
    return [rating if column.name == "title" else column for column in columns]


@pytest.mark.engines("sqlite", "postgresql")
def test_renaming_a_column_warns_and_writes_the_warning_in_the_script(empty_app, tmp_path):
    output, source, _ = generate(empty_app, tmp_path, models_with(renamed_title))
    assert 'Warning: this looks like a rename: in table "posts", column "title"' in output
    assert 'op.alter_column("posts", "title", new_column_name="headline")' in output
    top = source.split("import sqlalchemy")[0]
    assert "# WARNING (rename guard)" in top
    assert '#       op.alter_column("posts", "title", new_column_name="headline")' in top
    # The operations stay as generated: the developer decides.
    assert 'batch_op.drop_column("title")' in source
    assert "batch_op.add_column(" in source and '"headline"' in source


@pytest.mark.engines("sqlite")
def test_a_drop_and_an_unrelated_add_of_another_type_does_not_warn(empty_app, tmp_path):
    output, source, _ = generate(empty_app, tmp_path, models_with(title_replaced_by_a_number))
    assert "rename" not in output
    assert "WARNING" not in source
    assert 'batch_op.drop_column("title")' in source


@pytest.mark.engines("sqlite")
def test_generated_scripts_come_out_formatted_by_ruff(empty_app, tmp_path):
    _, source, script = generate(empty_app, tmp_path, models_with(renamed_title))
    assert "'" not in source.split('"""', 2)[2].replace("'s", "")  # ruff's double quotes
    # As pyproject.toml checks migrations/ (this copy lives elsewhere): without ANN rules.
    for check in (["format", "--check"], ["check", "--extend-ignore", "ANN"]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *check, str(script)], capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_a_renamed_table_is_recognised_and_a_different_one_is_not():
    def table(name: str, *columns: Column) -> Table:
        return Table(name, MetaData(), Column("id", Integer, primary_key=True), *columns)

    renamed = ops.UpgradeOps(
        ops=[
            ops.DropTableOp.from_table(table("notes", Column("text", String(50)))),
            ops.CreateTableOp.from_table(table("memos", Column("text", String(80)))),
        ]
    )
    [warning] = rename_warnings(renamed)
    assert 'op.rename_table("notes", "memos")' in warning
    assert as_comment([warning]).startswith("# WARNING (rename guard)")
    different = ops.UpgradeOps(
        ops=[
            ops.DropTableOp.from_table(table("notes", Column("text", String(50)))),
            ops.CreateTableOp.from_table(table("tags", Column("count", Integer))),
        ]
    )
    assert rename_warnings(different) == []
    assert as_comment([]) == ""
