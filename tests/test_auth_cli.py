"""`flask users`: create, list, set-password, adopt-posts; and their clear errors."""

import pytest
from sqlalchemy import select

from blog.extensions import db
from blog.models import Post
from blog.models import User
from tests.helpers import Account
from tests.helpers import sign_in


def users(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(User.name).order_by(User.name)))


def test_create_asks_for_the_password_twice_without_echo(app, runner, client):
    result = runner.invoke(args=["users", "create", "ada"], input="s3cret-pass\ns3cret-pass\n")
    assert result.exit_code == 0, result.output
    assert "Created user ada." in result.output
    assert result.output.count("Password") == 1 and "Repeat for confirmation" in result.output
    assert "s3cret-pass" not in result.output
    sign_in(client, Account(0, "ada", "s3cret-pass"))


def test_create_with_two_different_passwords_asks_again(app, runner):
    result = runner.invoke(
        args=["users", "create", "ada"], input="first-pass\nother-pass\nfinal-pass\nfinal-pass\n"
    )
    assert result.exit_code == 0
    assert "Error: The two entered values do not match." in result.output
    assert users(app) == ["ada"]


def test_create_reads_the_password_from_stdin(app, runner, client):
    result = runner.invoke(
        args=["users", "create", "bea", "--password-stdin"], input="from-a-script\n"
    )
    assert result.exit_code == 0, result.output
    sign_in(client, Account(0, "bea", "from-a-script"))


@pytest.mark.parametrize(
    ("name", "password", "error"),
    [
        ("ada", "long-enough", "A user called 'ada' already exists."),
        ("ADA", "long-enough", "A user called 'ADA' already exists."),
        ("bea", "short", "A password needs at least 8 characters."),
        ("bea", "", "A password needs at least 8 characters."),
        ("two words", "long-enough", "A name is 1 to 64 letters"),
        ("-dash", "long-enough", "A name is 1 to 64 letters"),
        ("x" * 65, "long-enough", "A name is 1 to 64 letters"),
    ],
)
def test_create_refuses_with_one_line_and_a_nonzero_exit(
    app, runner, make_user, name, password, error
):
    make_user("ada")
    result = runner.invoke(
        args=["users", "create", "--password-stdin", "--", name], input=f"{password}\n"
    )
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {error}")
    assert result.output.count("\n") == 1
    assert users(app) == ["ada"]


def test_set_password(app, runner, client, make_user):
    make_user("ada")
    result = runner.invoke(
        args=["users", "set-password", "ada", "--password-stdin"], input="a-new-password\n"
    )
    assert result.exit_code == 0
    assert "Set a new password for ada." in result.output
    sign_in(client, Account(0, "ada", "a-new-password"))


@pytest.mark.parametrize(
    ("name", "password", "error"),
    [("nobody", "long-enough", "No user called 'nobody'."), ("ada", "short", "at least 8")],
)
def test_set_password_refuses(app, runner, client, make_user, name, password, error):
    account = make_user("ada")
    result = runner.invoke(
        args=["users", "set-password", name, "--password-stdin"], input=f"{password}\n"
    )
    assert result.exit_code == 1
    assert error in result.output
    sign_in(client, account)  # the old password still works


def test_list(runner, make_user, save):
    assert "No users yet" in runner.invoke(args=["users", "list"]).output
    bea, ada = make_user("bea"), make_user("ada")
    save(Post(title="1", body="b", author_id=ada.id), Post(title="2", body="b", author_id=ada.id))
    lines = runner.invoke(args=["users", "list"]).output.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["ada", "bea"]
    assert lines[0].endswith("2 posts") and lines[1].endswith("0 posts")
    assert bea.name in lines[1]


def test_adopt_posts_gives_authorless_posts_an_author(app, runner, make_user, save):
    ada, bea = make_user("ada"), make_user("bea")
    [old, hers] = save(Post(title="old", body="b"), Post(title="hers", body="b", author_id=bea.id))
    with app.app_context():
        updated_before = db.session.get(Post, old).updated_at
    result = runner.invoke(args=["users", "adopt-posts", "ada"])
    assert result.exit_code == 0
    assert "ada is now the author of 1 post." in result.output
    with app.app_context():
        assert db.session.get(Post, old).author_id == ada.id
        assert db.session.get(Post, old).updated_at == updated_before
        assert db.session.get(Post, hers).author_id == bea.id
    missing = runner.invoke(args=["users", "adopt-posts", "nobody"])
    assert missing.exit_code == 1 and "No user called 'nobody'." in missing.output
