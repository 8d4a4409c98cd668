"""Save a category, or make a user, through the app, meeting another process just before
the INSERT.

Used by tests/test_unique_names.py to make two saves of one name, in two cases, overlap
where the app's own check cannot settle them: each process has looked for the name and
found it free before either writes it, so only the database's key ignoring case can
refuse the second. Starting an interpreter takes longer than a save, hence the meeting.

Usage: python save_at_rendezvous.py RENDEZVOUS_DIRECTORY NAME category|user VALUE
(with BLOG_CONFIG=testing and TEST_DATABASE_URL in the environment). Prints "saved" or
"taken".
"""

import sys
import time
from pathlib import Path

from sqlalchemy import event

from blog import create_app
from blog.auth.accounts import AccountError
from blog.auth.accounts import create_user
from blog.categories.service import save_category
from blog.extensions import db
from blog.models import Category

rendezvous, name, kind, value = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
insert = {"category": "INSERT INTO categories", "user": "INSERT INTO users"}[kind]


def meet(connection, cursor, statement, *args) -> None:
    """Before this process's INSERT: wait until the other one is about to INSERT too."""
    if not statement.startswith(insert):
        return
    (rendezvous / f"{name}.checked").touch()
    deadline = time.monotonic() + 60
    while len(list(rendezvous.glob("*.checked"))) < 2:
        if time.monotonic() > deadline:
            sys.exit(f"{name}: alone after 60 s")
        time.sleep(0.001)


with create_app().app_context():
    event.listen(db.engine, "before_cursor_execute", meet)
    if kind == "category":
        print("saved" if save_category(Category(name=value)) else "taken")
    else:
        try:
            create_user(value, "correct horse battery staple")
            print("saved")
        except AccountError:
            print("taken")
