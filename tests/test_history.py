"""The history as the web workers read it (blog/migrating/history.py): the same as
Alembic's, without importing Alembic."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from blog.migrating.history import HistoryError
from blog.migrating.history import read_history
from blog.migrating.phases import PRE_DEPLOY
from blog.migrating.phases import PhaseError
from blog.migrating.phases import phase
from tests.history import HEAD
from tests.history import PRE_DEPLOY_HEAD
from tests.history import add_revision
from tests.history import copy_history
from tests.history import script_directory

ROOT = Path(__file__).resolve().parent.parent


def alembics_reading(directory: Path) -> tuple[str | None, set[str], set[str]]:
    """Head, revisions and servable revisions, as Alembic's ScriptDirectory gives them."""
    scripts = script_directory(directory)
    servable = set()
    for script in scripts.walk_revisions():  # newest first
        servable.add(script.revision)
        if phase(script) == PRE_DEPLOY:
            break
    revisions = {script.revision for script in scripts.walk_revisions()}
    return scripts.get_current_head(), revisions, servable


def reading(directory: Path) -> tuple[str | None, set[str], set[str]]:
    history = read_history(directory)
    return history.head, set(history.revisions), set(history.servable)


def test_the_release_history_reads_as_alembic_reads_it():
    history = read_history()
    # This release has no post-deploy revision: it serves on head only.
    assert (history.head, history.servable) == (HEAD, {HEAD})
    assert reading(ROOT / "migrations") == alembics_reading(ROOT / "migrations")


def test_new_revisions_read_as_alembic_reads_them(tmp_path):
    history = copy_history(tmp_path / "migrations")
    add_revision(history, "expand", "pass", phase="pre-deploy")
    add_revision(history, "contract", "pass", down_revision="expand", phase="post-deploy")
    assert reading(history) == alembics_reading(history)
    assert reading(history)[0] == "contract"
    assert reading(history)[2] == {"expand", "contract"}


def test_annotated_constants_read_as_alembic_reads_them(tmp_path):
    history = copy_history(tmp_path / "migrations")
    (history / "versions" / "2099_01_01-typed_scratch.py").write_text(
        f'revision: str = "typed"\ndown_revision: str | None = "{HEAD}"\n'
        'phase: str = "post-deploy"\n'
    )
    (history / "versions" / "__init__.py").write_text("")
    assert reading(history) == alembics_reading(history)
    assert reading(history)[0] == "typed"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"revision": "second_head"}, "several heads"),
        ({"revision": "orphan", "down_revision": "missing"}, "orphan revises missing"),
        ({"revision": "merge", "down_revision": (HEAD, PRE_DEPLOY_HEAD)}, "merges branches"),
        ({"down_revision": HEAD}, "sets no `revision`"),
    ],
)
def test_a_history_that_is_not_one_line_is_refused(tmp_path, change, message):
    history = copy_history(tmp_path / "migrations")
    down_revision = change.get("down_revision", PRE_DEPLOY_HEAD)
    revision = f"revision = {change['revision']!r}\n" if "revision" in change else ""
    (history / "versions" / "2099_01_01-extra.py").write_text(
        f"{revision}down_revision = {down_revision!r}\n"
    )
    with pytest.raises(HistoryError, match=message):
        read_history(history)


def test_a_phase_that_is_neither_is_refused_by_name(tmp_path):
    history = copy_history(tmp_path / "migrations")
    add_revision(history, "odd", "pass", phase="mid-deploy")
    with pytest.raises(PhaseError, match=r"revision odd \(.*scratch.py\): phase must be"):
        read_history(history)


def test_a_web_worker_never_imports_alembic(app):
    """wsgi.py's app serves pages, /readyz included, without Alembic (about 9 MB each)."""
    script = (
        "import sys\n"
        "from blog import create_app\n"
        "app = create_app(commands=False)\n"
        "client = app.test_client()\n"
        "statuses = [client.get(path).status_code for path in ('/posts/', '/readyz')]\n"
        "print(statuses, sorted(name for name in sys.modules if name.startswith('alembic')))\n"
    )
    env = {
        **os.environ,
        "BLOG_CONFIG": "production",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "a-long-random-secret-for-this-test",
    }
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == "[200, 200] []"
