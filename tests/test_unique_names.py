"""Category and user names, unique ignoring case in the database itself (revision
1306b26445e4, blog/migrating/duplicates.py, blog/integrity.py): the revision refuses names
that already clash, the keys refuse a name in another case, and of two saves of one name
at once, one is refused."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from blog.categories.service import save_category
from blog.integrity import is_unique_violation
from blog.models import NAME_COLLATION
from blog.models import Category
from tests.helpers import flask_db
from tests.history import BELOW_HEAD
from tests.history import HEAD
from tests.history import dialect
from tests.history import run_sql
from tests.history import schema
from tests.history import version

ROOT = Path(__file__).resolve().parent.parent
TABLES = ("categories", "users")


def insert(app, table: str, row_id: int, name: str) -> None:
    """A row written with plain SQL, past the app's own check."""
    columns, values = "id, name, created_at", ":id, :name, '2026-01-01 00:00:00'"
    if table == "users":
        columns, values = f"{columns}, password_hash", f"{values}, 'x'"
    run_sql(app, f"INSERT INTO {table} ({columns}) VALUES ({values})", id=row_id, name=name)


def rows(app) -> dict[str, list]:
    return {table: run_sql(app, f"SELECT id, name FROM {table} ORDER BY id") for table in TABLES}


def error_lines(output: str, words: str) -> list[str]:
    return [line for line in output.splitlines() if words in line]


def below_with_names_clashing(app) -> None:
    """At the revision before, with names that differ only in case. On MariaDB the columns
    first get a case-sensitive collation, as a server whose default is one would give them
    (these test databases' default, utf8mb4_unicode_ci, already ignores case)."""
    assert flask_db(app, "upgrade", BELOW_HEAD).exit_code == 0
    if dialect(app) == "mysql":
        for table in TABLES:
            run_sql(
                app, f"ALTER TABLE {table} MODIFY name VARCHAR(64) COLLATE utf8mb4_bin NOT NULL"
            )
    for row_id, name in enumerate(["Python", "Rust", "python", "PYTHON"], start=1):
        insert(app, "categories", row_id, name)
    for row_id, name in enumerate(["ada", "grace", "Ada"], start=1):
        insert(app, "users", row_id, name)


@pytest.mark.migrations
def test_the_revision_refuses_names_that_clash_and_writes_nothing(empty_app):
    below_with_names_clashing(empty_app)
    before = (schema(empty_app), rows(empty_app))

    result = flask_db(empty_app, "upgrade")
    assert result.exit_code == 1
    [line] = error_lines(result.output, "these rows clash")
    assert (
        "Error: categories.name and users.name are to be unique ignoring case, and these rows"
        " clash (id, name): in categories 1 'Python' = 3 'python' = 4 'PYTHON'; in users"
        " 1 'ada' = 3 'Ada'. Rename or merge the rows of each clash" in line
    )
    assert line.endswith("then run the upgrade again")
    assert version(empty_app) == [BELOW_HEAD]
    assert (schema(empty_app), rows(empty_app)) == before


@pytest.mark.migrations
def test_once_the_names_are_resolved_it_runs_and_goes_down_and_up_keeping_them(empty_app):
    below_with_names_clashing(empty_app)
    run_sql(empty_app, "UPDATE categories SET name = 'Python 2' WHERE id = 3")
    run_sql(empty_app, "DELETE FROM categories WHERE id = 4")
    run_sql(empty_app, "UPDATE users SET name = 'ada.lovelace' WHERE id = 3")
    kept = rows(empty_app)
    assert kept["categories"] == [(1, "Python"), (2, "Rust"), (3, "Python 2")]

    for command, at in [("upgrade", HEAD), ("downgrade", BELOW_HEAD), ("upgrade", HEAD)]:
        result = flask_db(empty_app, command)
        assert result.exit_code == 0, result.output
        assert version(empty_app) == [at]
        assert rows(empty_app) == kept


@pytest.mark.parametrize(
    ("table", "first", "second"), [("categories", "Python", "python"), ("users", "ada", "ADA")]
)
def test_the_database_refuses_a_taken_name_in_another_case(app, table, first, second):
    insert(app, table, 1, first)
    with pytest.raises(IntegrityError) as refused:
        insert(app, table, 2, second)
    assert is_unique_violation(refused.value, table, "name")
    assert run_sql(app, f"SELECT name FROM {table}") == [(first,)]


def test_accents_make_another_name_and_sqlite_folds_ascii_only(app):
    """Accent-sensitive on every engine (on MariaDB, the collation's choice). SQLite's
    lower() folds ASCII letters only, so there the database takes "ärger" beside "Ärger":
    the app's casefold() check refuses it (tests/test_categories.py)."""
    insert(app, "categories", 1, "Café")
    insert(app, "categories", 2, "cafe")
    insert(app, "categories", 3, "Ärger")
    if dialect(app) == "sqlite":
        insert(app, "categories", 4, "ärger")
    else:
        with pytest.raises(IntegrityError):
            insert(app, "categories", 4, "ärger")
    assert len(run_sql(app, "SELECT id FROM categories")) == (4 if dialect(app) == "sqlite" else 3)


def test_any_other_integrity_error_is_no_taken_name(app, save):
    """save_category answers False (a 409) for a taken name only; another refusal, here
    of a primary key, stays an error."""
    [python] = save(Category(name="Python"))
    with app.app_context(), pytest.raises(IntegrityError) as failed:
        save_category(Category(id=python, name="Rust"))
    assert not is_unique_violation(failed.value, "categories", "name")
    assert run_sql(app, "SELECT name FROM categories") == [("Python",)]


@pytest.mark.migrations
@pytest.mark.engines("mariadb")
def test_on_mariadb_the_names_collate_ignoring_case_and_a_downgrade_gives_back_the_tables(app):
    def collations() -> set[tuple[str, str]]:
        return set(
            run_sql(
                app,
                "SELECT c.COLLATION_NAME, t.TABLE_COLLATION FROM information_schema.COLUMNS c"
                " JOIN information_schema.TABLES t USING (TABLE_SCHEMA, TABLE_NAME)"
                " WHERE c.TABLE_SCHEMA = DATABASE() AND c.COLUMN_NAME = 'name'",
            )
        )

    assert collations() == {(NAME_COLLATION, "utf8mb4_unicode_ci")}
    # Two names here, one under the tables' collation, which ignores accents.
    insert(app, "categories", 1, "Café")
    insert(app, "categories", 2, "cafe")
    result = flask_db(app, "downgrade")
    assert result.exit_code == 1
    [line] = error_lines(result.output, "these rows clash")
    assert (
        "Error: categories.name and users.name are to be unique under their table's collation"
        " again, and these rows clash (id, name): in categories 1 'Café' = 2 'cafe'." in line
    )
    assert line.endswith("then run the downgrade again")
    assert version(app) == [HEAD]

    run_sql(app, "UPDATE categories SET name = 'Coffee' WHERE id = 2")
    assert flask_db(app, "downgrade").exit_code == 0
    assert collations() == {("utf8mb4_unicode_ci", "utf8mb4_unicode_ci")}


@pytest.mark.migrations
@pytest.mark.engines("sqlite", "postgresql")
def test_flask_db_check_sees_a_missing_lower_index(app):
    """On SQLite too, whose reflection cannot see an index on an expression."""
    run_sql(app, "DROP INDEX uq_users_name_lower")
    result = flask_db(app, "check")
    assert result.exit_code == 1
    assert "('add_index', Index('uq_users_name_lower'" in result.output
    assert "uq_categories_name_lower" not in result.output


@pytest.mark.parametrize(
    ("kind", "table", "names"),
    [("category", "categories", ["Python", "python"]), ("user", "users", ["ada", "ADA"])],
)
def test_of_two_saves_at_once_of_one_name_in_two_cases_one_is_refused(
    app, tmp_path, kind, table, names
):
    """Two processes, each past the app's check before either writes: the database's key
    ignoring case refuses the second, and the app answers that the name is taken (False
    from save_category, which the pages and the API answer with a 409; AccountError from
    create_user)."""
    env = {
        **os.environ,
        "BLOG_CONFIG": "testing",
        "TEST_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
    }
    script = ROOT / "tests" / "save_at_rendezvous.py"
    processes = [
        subprocess.Popen(
            [sys.executable, script, tmp_path, f"p{number}", kind, name],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for number, name in enumerate(names)
    ]
    try:
        outputs = [process.communicate(timeout=120) for process in processes]
    finally:
        for process in processes:
            process.kill()
            process.wait()

    for process, (_, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr
    assert sorted(stdout.strip() for stdout, _ in outputs) == ["saved", "taken"]
    [(name,)] = run_sql(app, f"SELECT name FROM {table}")
    assert name in names
