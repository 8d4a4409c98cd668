"""`flask db lint` (blog/migrating/lint.py): each rule fires on a scratch pre-deploy revision,
stays quiet on the safe recipe, and yields to a review that says why."""

import pytest

from blog.migrating.lint import RULES
from blog.migrating.lint import lint
from tests.databases import dispose
from tests.databases import make_app
from tests.history import add_revision
from tests.history import script_directory

pytestmark = pytest.mark.migrations

POST_DEPLOY = "post-deploy"
# rule: (an unsafe pre-deploy upgrade of an existing table, the safe way to do the same; a
# safe way that is another phase starts with it)
CASES = {
    "drop-column": (
        'op.drop_column("posts", "read_count")',
        f'{POST_DEPLOY}:op.drop_column("posts", "read_count")',
    ),
    "drop-table": ('op.drop_table("categories")', f'{POST_DEPLOY}:op.drop_table("categories")'),
    "rename": (
        'op.alter_column("posts", "title", new_column_name="headline")',
        'op.add_column("posts", sa.Column("headline", sa.String(200), nullable=True))',
    ),
    "change-type": (
        'op.alter_column("posts", "title", type_=sa.Text())',
        'op.add_column("posts", sa.Column("title_text", sa.Text(), nullable=True))',
    ),
    "not-null-without-default": (
        'op.add_column("posts", sa.Column("rank", sa.Integer(), nullable=False))',
        'op.add_column("posts", sa.Column("rank", sa.Integer(), nullable=False,'
        ' server_default="0"))',
    ),
    "index-not-concurrent": (
        'op.create_index("ix_posts_title", "posts", ["title"])',
        'op.create_index("ix_posts_title", "posts", ["title"], postgresql_concurrently=True)',
    ),
    "constraint-not-valid": (
        'op.create_check_constraint("ck_posts_read_count", "posts", "read_count >= 0")',
        'op.create_check_constraint("ck_posts_read_count", "posts", "read_count >= 0",'
        " postgresql_not_valid=True)",
    ),
    "backfill-in-one-statement": (
        'op.execute("UPDATE posts SET title = lower(title)")',
        "from blog.migrating.backfill import backfill\nbackfill  # batches of 1,000 rows",
    ),
}


def findings(history):
    return lint(list(script_directory(history).walk_revisions())).findings


def test_the_released_history_passes_with_its_reviews():
    result = lint(list(script_directory().walk_revisions()))
    assert result.findings == []
    assert result.reviewed == 4  # 516cfe85f177's index and foreign key, per engine branch


def test_every_rule_has_a_case():
    assert set(CASES) == set(RULES)


@pytest.mark.parametrize("rule", CASES)
def test_a_rule_fires_on_an_unsafe_pre_deploy_revision(history, rule):
    unsafe, _ = CASES[rule]
    add_revision(history, "f00dcafe0001", unsafe)
    (finding,) = findings(history)
    assert finding.rule == rule
    assert finding.revision == "f00dcafe0001"
    assert finding.path == "migrations/versions/2099_01_01_000000-f00dcafe0001_scratch.py"
    message = str(finding)
    assert f":{finding.line}: {rule}: " in message
    assert RULES[rule][1] in message  # the safe way


@pytest.mark.parametrize("rule", CASES)
def test_the_safe_recipe_passes(history, rule):
    _, safe = CASES[rule]
    phase, _, body = safe.rpartition(":") if safe.startswith(POST_DEPLOY) else ("", "", safe)
    add_revision(history, "f00dcafe0001", body, phase=phase or None)
    assert findings(history) == []


def test_an_index_or_key_on_a_table_the_revision_creates_is_safe(history):
    add_revision(
        history,
        "f00dcafe0001",
        'op.create_table("scratch", sa.Column("x", sa.Integer()))\n'
        'op.create_index("ix_scratch_x", "scratch", ["x"])\n'
        'op.create_foreign_key("fk_scratch_x", "scratch", "posts", ["x"], ["id"])',
    )
    assert findings(history) == []


def test_the_same_operations_post_deploy_pass(history):
    unsafe = "\n".join(body for body, _ in CASES.values())
    add_revision(history, "f00dcafe0001", unsafe, phase="post-deploy")
    assert findings(history) == []


def test_a_review_that_says_why_silences_one_operation(history):
    add_revision(
        history,
        "f00dcafe0001",
        "# lint: reviewed — posts is empty at this revision\n"
        'op.drop_column("posts", "read_count")\n'
        'op.drop_column("posts", "excerpt")  # lint: reviewed - nothing reads it\n'
        'op.drop_column("posts", "body_html")  # lint: reviewed\n'
        'op.drop_column("posts", "slug")',
    )
    assert [finding.operation for finding in findings(history)] == ["op.drop_column()"] * 2
    assert [finding.line for finding in findings(history)] == [16, 17]  # body_html, slug


def test_batch_operations_count_against_their_table(history):
    add_revision(
        history,
        "f00dcafe0001",
        'with op.batch_alter_table("posts") as batch_op:\n'
        '    batch_op.create_index("ix_posts_title", ["title"])\n'
        '    batch_op.drop_column("read_count")',
    )
    assert [finding.rule for finding in findings(history)] == [
        "index-not-concurrent",
        "drop-column",
    ]


def test_flask_db_lint_exits_1_naming_each_finding(history):
    app = make_app("sqlite://")
    try:
        clean = app.test_cli_runner().invoke(args=["db", "lint", "-d", str(history)])
        assert clean.exit_code == 0, clean.output
        assert "no unsafe operation in a pre-deploy one, 4 reviewed." in clean.output
        add_revision(history, "f00dcafe0001", 'op.drop_column("posts", "read_count")')
        result = app.test_cli_runner().invoke(args=["db", "lint", "-d", str(history)])
    finally:
        dispose(app)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("migrations/versions/2099_01_01_000000-f00dcafe0001_scratch.py:")
    assert "drop-column" in lines[0]
    assert lines[-1] == "Error: 1 unsafe operation in 10 revisions, 4 reviewed"
