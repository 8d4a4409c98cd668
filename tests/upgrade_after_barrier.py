"""`flask db upgrade`, started only once every process running this script is ready.

Used by tests/test_migration_safety.py to make two upgrades really overlap: starting an
interpreter and importing Flask takes longer than a small migration, so each process does
all of that first, says it is ready, and waits for the word to go.

Usage: python upgrade_after_barrier.py BARRIER_DIRECTORY NAME MIGRATIONS_DIRECTORY
(with BLOG_CONFIG=testing and TEST_DATABASE_URL in the environment).
"""

import sys
import time
from pathlib import Path

from flask.cli import main

from blog import create_app
from blog.extensions import db

barrier, name, migrations = Path(sys.argv[1]), sys.argv[2], sys.argv[3]

# Everything the upgrade needs imported up front, the database driver included.
with create_app().app_context():
    db.engine.dialect.dbapi  # noqa: B018

(barrier / f"{name}.ready").touch()
deadline = time.monotonic() + 60
while not (barrier / "go").exists():
    if time.monotonic() > deadline:
        sys.exit(f"{name}: no go after 60 s")
    time.sleep(0.001)

sys.argv = ["flask", "db", "upgrade", "--directory", migrations]
main()
