"""`flask deploy` in its two phases, and what the phases decide (blog/migrating/phases.py)."""

import os
import subprocess
import sys

import pytest

from blog.migrating.history import read_history
from blog.migrating.phases import DeployPlan
from blog.migrating.phases import PhaseError
from blog.migrating.phases import deploy_plan
from tests.helpers import flask_db
from tests.history import HEAD
from tests.history import PRE_DEPLOY_HEAD
from tests.history import PREVIOUS_RELEASE
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


def test_deploy_from_the_previous_release_applies_this_ones_revision(empty_app):
    """This release has one revision, pre-deploy: the previous release serves on it."""
    assert flask_db(empty_app, "upgrade", PREVIOUS_RELEASE).exit_code == 0
    result = deploy(empty_app)
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(f"Database at {HEAD} (head): ready to serve.")
    assert version(empty_app) == [HEAD]


def test_deploy_stops_before_the_post_deploy_revisions(empty_app, history):
    """A release with a post-deploy revision (here one on top of this history)."""
    add_revision(history, "contract", "pass", phase="post-deploy")
    empty_app.extensions["blog.migration_history"] = read_history(history)
    assert flask_db(empty_app, "upgrade", PREVIOUS_RELEASE).exit_code == 0
    result = deploy(empty_app)
    assert result.exit_code == 0, result.output
    assert version(empty_app) == [HEAD]
    lines = result.output.strip().splitlines()
    assert lines[-2] == f"Database at {HEAD} (pre-deploy head): the new release can serve."
    assert lines[-1].startswith("Post-deploy revision waiting: contract.")
    # The release serves on it: /readyz says so.
    ready = empty_app.test_client().get("/readyz")
    assert ready.status_code == 200
    assert ready.json["database"] == "post-deploy pending"


def test_deploy_refuses_a_database_behind_the_previous_release(empty_app):
    """This release's pre-deploy revision comes after the slug release's post-deploy one,
    which must run first: on a new database, `flask deploy --post` runs them all."""
    result = deploy(empty_app)
    assert result.exit_code == 1
    assert (
        result.output.strip()
        .splitlines()[-1]
        .startswith(
            f"Error: deploy failed: pre-deploy revision {HEAD} comes after post-deploy revision"
            f" {SLUG_REQUIRED}"
        )
    )
    assert "posts" not in schema(empty_app)  # nothing ran


def test_deploy_post_applies_the_rest(empty_app):
    """From where the slug release's `flask deploy` stopped: its post-deploy revision,
    which names the posts written meanwhile, and this release's."""
    assert flask_db(empty_app, "upgrade", PRE_DEPLOY_HEAD).exit_code == 0
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
    assert flask_db(empty_app, "upgrade", PREVIOUS_RELEASE).exit_code == 0
    for args in (["deploy"], ["db", "status"]):
        result = empty_app.test_cli_runner().invoke(args=args)
        assert result.exit_code == 1
        assert "phase must be 'pre-deploy' or 'post-deploy', not 'predeploy'" in result.output
    assert version(empty_app) == [PREVIOUS_RELEASE]  # nothing ran


def test_the_plan_splits_the_pending_revisions_at_the_first_post_deploy_one(tmp_path):
    scripts = script_directory()
    plan = deploy_plan(scripts, (PREVIOUS_RELEASE,))
    assert ([script.revision for script in plan.pre], plan.post) == ([HEAD], [])
    assert deploy_plan(scripts, (HEAD,)) == DeployPlan(pre=[], post=[])
    # This release has no post-deploy revision: it serves on head, and on nothing older.
    assert read_history().servable == {HEAD}

    history = copy_history(tmp_path / "migrations")
    add_revision(history, "contract", "pass", phase="post-deploy")
    plan = deploy_plan(script_directory(history), (PREVIOUS_RELEASE,))
    assert [script.revision for script in plan.pre] == [HEAD]
    assert [script.revision for script in plan.post] == ["contract"]
    assert read_history(history).servable == {HEAD, "contract"}


def test_the_plan_refuses_what_cannot_be_split(tmp_path):
    history = copy_history(tmp_path / "migrations")
    add_revision(history, "contract", "pass", phase="post-deploy")
    add_revision(history, "expand", "pass", down_revision="contract")
    with pytest.raises(PhaseError, match="expand comes after post-deploy revision contract"):
        deploy_plan(script_directory(history), (HEAD,))
    # The slug release's post-deploy revision, then this release's pre-deploy one.
    with pytest.raises(
        PhaseError, match=f"{HEAD} comes after post-deploy revision {SLUG_REQUIRED}"
    ):
        deploy_plan(script_directory(), (PRE_DEPLOY_HEAD,))


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
