"""The ledger of applied revision files (blog/migrating/ledger.py): an edit to a revision a
database has run is refused by every command that moves it, until reverted or repaired."""

import pytest
from click.testing import Result

from blog.migrating import ledger
from tests.helpers import flask_db
from tests.history import BELOW_HEAD
from tests.history import HEAD
from tests.history import INITIAL
from tests.history import PRE_DEPLOY_HEAD
from tests.history import SLUG_REQUIRED
from tests.history import TOKENS
from tests.history import add_revision
from tests.history import revisions_oldest_first
from tests.history import run_sql
from tests.history import version

pytestmark = pytest.mark.migrations


def revision_file(history, revision: str):
    (path,) = (history / "versions").glob(f"*-{revision}_*.py")
    return path


def edit(history, revision: str, line: str = "# an afterthought") -> None:
    path = revision_file(history, revision)
    path.write_text(path.read_text() + f"\n{line}\n")


def recorded(app) -> dict[str, str]:
    return dict(run_sql(app, f"SELECT revision, sha256 FROM {ledger.TABLE_NAME}"))


def refused(result: Result, revision: str) -> bool:
    """Exit 1, with one line that names the revision and the way out."""
    lines = [line for line in result.output.splitlines() if "has changed since" in line]
    return (
        result.exit_code == 1
        and len(lines) == 1
        and f"revision {revision} (migrations/versions/" in lines[0]
        and f"flask db repair {revision}" in lines[0]
    )


def test_every_applied_revision_is_recorded_and_a_downgrade_forgets(empty_app):
    assert flask_db(empty_app, "upgrade").exit_code == 0
    assert set(recorded(empty_app)) == set(revisions_oldest_first())
    assert flask_db(empty_app, "downgrade", TOKENS).exit_code == 0
    up_to_tokens = revisions_oldest_first()[: revisions_oldest_first().index(TOKENS) + 1]
    assert set(recorded(empty_app)) == set(up_to_tokens)
    assert flask_db(empty_app, "downgrade", "base").exit_code == 0
    assert recorded(empty_app) == {}


def test_an_untouched_history_is_never_flagged(empty_app):
    for command in (["upgrade"], ["downgrade"], ["upgrade"], ["status"], ["check"]):
        result = flask_db(empty_app, *command)
        assert result.exit_code == 0, (command, result.output)
        assert "[!]" not in result.output


@pytest.mark.parametrize("revision", revisions_oldest_first())
def test_an_edit_to_any_applied_revision_is_refused(app, history, revision):
    edit(history, revision)
    for command in (["upgrade"], ["downgrade"], ["downgrade", "base"], ["stamp", "base"]):
        assert refused(flask_db(app, *command), revision), command
    assert refused(app.test_cli_runner().invoke(args=["deploy"]), revision)
    assert refused(app.test_cli_runner().invoke(args=["deploy", "--post"]), revision)
    assert version(app) == [HEAD]
    status = flask_db(app, "status")
    assert status.exit_code == 1
    assert f"  [!] {revision}" in status.output


def test_an_edit_to_a_revision_not_yet_applied_is_free(empty_app, history):
    assert flask_db(empty_app, "upgrade", PRE_DEPLOY_HEAD).exit_code == 0
    edit(history, SLUG_REQUIRED)
    result = flask_db(empty_app, "upgrade")
    assert result.exit_code == 0, result.output
    assert version(empty_app) == [HEAD]


def test_a_revision_taken_back_may_change_then_is_recorded_as_applied_again(empty_app, history):
    assert flask_db(empty_app, "upgrade").exit_code == 0
    assert flask_db(empty_app, "downgrade").exit_code == 0
    edit(history, HEAD)
    assert flask_db(empty_app, "upgrade").exit_code == 0
    edit(history, HEAD, "# and another")
    assert refused(flask_db(empty_app, "downgrade"), HEAD)


def test_repair_records_the_file_as_it_is_and_the_commands_run_again(empty_app, history):
    assert flask_db(empty_app, "upgrade").exit_code == 0
    edit(history, INITIAL)
    assert refused(flask_db(empty_app, "downgrade"), INITIAL)

    result = flask_db(empty_app, "repair", INITIAL)
    assert result.exit_code == 0, result.output
    assert revision_file(history, INITIAL).name in result.output
    assert flask_db(empty_app, "status").exit_code == 0
    result = flask_db(empty_app, "downgrade")
    assert result.exit_code == 0, result.output
    assert version(empty_app) == [BELOW_HEAD]


def test_repair_refuses_a_revision_the_database_has_not_applied(empty_app):
    assert flask_db(empty_app, "upgrade", PRE_DEPLOY_HEAD).exit_code == 0
    before = recorded(empty_app)
    result = flask_db(empty_app, "repair", SLUG_REQUIRED)
    assert result.exit_code == 1
    assert f"revision {SLUG_REQUIRED} is not applied to this database" in result.output
    unknown = flask_db(empty_app, "repair", "0123456789ab")
    assert unknown.exit_code == 1
    assert unknown.output.count("\n") == 1
    assert recorded(empty_app) == before


def test_a_database_migrated_before_the_ledger_gets_a_baseline_said_once(empty_app, history):
    assert flask_db(empty_app, "upgrade", PRE_DEPLOY_HEAD).exit_code == 0
    run_sql(empty_app, f"DROP TABLE {ledger.TABLE_NAME}")  # as a release before it left it

    first = flask_db(empty_app, "upgrade")
    assert first.exit_code == 0, first.output
    assert "Recorded the files of 7 revisions applied before the ledger" in first.output
    assert set(recorded(empty_app)) == set(revisions_oldest_first())
    again = flask_db(empty_app, "downgrade")
    assert again.exit_code == 0
    assert "Recorded the files" not in again.output

    edit(history, INITIAL)  # an edit after the baseline is caught like any other
    assert refused(flask_db(empty_app, "upgrade"), INITIAL)


def test_the_ledger_is_invisible_to_flask_db_check(empty_app, history):
    assert flask_db(empty_app, "upgrade").exit_code == 0
    result = flask_db(empty_app, "check")
    assert result.exit_code == 0, result.output
    add_revision(history, "f00dcafe0001", "pass")
    migrate = flask_db(empty_app, "upgrade")
    assert migrate.exit_code == 0, migrate.output
    assert "f00dcafe0001" in recorded(empty_app)
