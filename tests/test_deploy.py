"""`flask deploy` in its two phases, and what the phases decide (blog/migrating/phases.py)."""

import os
import subprocess
import sys

import pytest

from blog.migrating.history import read_history
from blog.migrating.phases import PhaseError
from blog.migrating.phases import deploy_plan
from tests.history import HEAD
from tests.history import PRE_DEPLOY_HEAD
from tests.history import SLUG_REQUIRED
from tests.history import add_revision
from tests.history import copy_history
from tests.history import insert_post
from tests.history import run_sql
from tests.history import schema
from tests.history import script_directory
from tests.history import version

pytestmark = pytest.mark.migrations


def deploy(app, *args: str):
    return app.test_cli_runner().invoke(args=["deploy", *args])


def test_deploy_stops_before_the_post_deploy_revisions(empty_app):
    result = deploy(empty_app)
    assert result.exit_code == 0, result.output
    assert version(empty_app) == [PRE_DEPLOY_HEAD]
    lines = result.output.strip().splitlines()
    assert (
        lines[-2] == f"Database at {PRE_DEPLOY_HEAD} (pre-deploy head): the new release can serve."
    )
    assert lines[-1].startswith(f"Post-deploy revision waiting: {SLUG_REQUIRED}.")
    # The release serves on it: /readyz says so.
    ready = empty_app.test_client().get("/readyz")
    assert ready.status_code == 200
    assert ready.json["database"] == "post-deploy pending"


def test_deploy_post_applies_the_rest(empty_app):
    assert deploy(empty_app).exit_code == 0
    insert_post(empty_app, "Written by the previous release")  # no slug: it has none
    result = deploy(empty_app, "--post")
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(f"Database at {HEAD} (head): ready to serve.")
    assert version(empty_app) == [HEAD]
    assert run_sql(empty_app, "SELECT slug FROM posts") == [("written-by-the-previous-release",)]


def test_deploy_post_on_an_empty_database_goes_all_the_way(empty_app):
    assert deploy(empty_app, "--post").exit_code == 0
    assert version(empty_app) == [HEAD]


def test_deploy_at_head_changes_nothing(runner, app):
    result = runner.invoke(args=["deploy"])
    assert result.exit_code == 0
    assert result.output.strip().endswith(f"Database at {HEAD} (head): ready to serve.")
    assert version(app) == [HEAD]


def test_deploy_refuses_a_pre_deploy_revision_behind_a_post_deploy_one(empty_app, history):
    add_revision(history, "contract", "pass", phase="post-deploy")
    add_revision(history, "expand", "pass", down_revision="contract")
    assert deploy(empty_app, "--post").exit_code == 0  # up to the real head, and beyond
    assert version(empty_app) == ["expand"]
    run_sql(empty_app, f"UPDATE alembic_version SET version_num = '{HEAD}'")

    result = deploy(empty_app)
    assert result.exit_code == 1
    line = result.output.strip().splitlines()[-1]
    assert line.startswith(
        "Error: deploy failed: pre-deploy revision expand comes after post-deploy revision"
        " contract"
    )
    assert version(empty_app) == [HEAD]  # nothing ran


def test_a_phase_that_is_neither_is_one_clear_error(empty_app, history):
    add_revision(history, "oops", "pass", phase="predeploy")
    for args in (["deploy"], ["db", "status"]):
        result = empty_app.test_cli_runner().invoke(args=args)
        assert result.exit_code == 1
        assert "phase must be 'pre-deploy' or 'post-deploy', not 'predeploy'" in result.output
    assert "posts" not in schema(empty_app)  # nothing ran


def test_the_plan_splits_the_pending_revisions_at_the_first_post_deploy_one():
    scripts = script_directory()
    plan = deploy_plan(scripts, ())
    assert plan.pre[-1].revision == PRE_DEPLOY_HEAD
    assert [script.revision for script in plan.post] == [SLUG_REQUIRED]
    assert deploy_plan(scripts, (PRE_DEPLOY_HEAD,)).pre == []
    assert deploy_plan(scripts, (HEAD,)) == deploy_plan(scripts, (HEAD,))
    assert deploy_plan(scripts, (HEAD,)).post == []
    # This release serves on its pre-deploy head and on head, and on nothing older.
    assert read_history().servable == {PRE_DEPLOY_HEAD, HEAD}


def test_the_plan_refuses_what_cannot_be_split(tmp_path):
    history = copy_history(tmp_path / "migrations")
    add_revision(history, "contract", "pass", phase="post-deploy")
    add_revision(history, "expand", "pass", down_revision="contract")
    with pytest.raises(PhaseError, match="expand comes after post-deploy revision contract"):
        deploy_plan(script_directory(history), (HEAD,))


def test_deploy_fails_in_one_line_when_the_database_is_unreachable(tmp_path):
    env = {
        **os.environ,
        "BLOG_CONFIG": "production",
        "SECRET_KEY": "k",
        "DATABASE_URL": "postgresql://blog:s3cret@127.0.0.1:1/blog?connect_timeout=2",
    }
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "blog", "deploy"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Error: deploy failed: OperationalError: ")
    assert "s3cret" not in result.stderr
