"""pytest-alembic's own tests, as an independent check of the history, on every engine.

Its default tests (single head, upgrade, model definitions match DDL, up/down
consistency). Its experimental test that all models register on the metadata looks for a
MetaData bound to a module-level name of a top-level module and so cannot find ours in
blog/extensions.py; tests/test_models.py proves that property instead. Its experimental
test that a downgrade leaves no trace runs each revision inside a transaction it rolls
back to a savepoint, where the revisions that must run outside a transaction (the slug
backfill, CREATE INDEX CONCURRENTLY) cannot: tests/test_migrations.py's stairway shows
instead that each downgrade restores the schema it started from, on every engine.
"""

from collections.abc import Iterator

import pytest
from pytest_alembic.plugin.fixtures import alembic_runner  # noqa: F401
from pytest_alembic.tests import test_model_definitions_match_ddl  # noqa: F401
from pytest_alembic.tests import test_single_head_revision  # noqa: F401
from pytest_alembic.tests import test_up_down_consistency  # noqa: F401
from pytest_alembic.tests import test_upgrade  # noqa: F401
from sqlalchemy import URL
from sqlalchemy import Engine
from sqlalchemy import create_engine

from blog.migrating.history import MIGRATIONS_DIRECTORY
from tests.databases import dispose
from tests.databases import make_app

pytestmark = pytest.mark.migrations


@pytest.fixture
def alembic_config() -> dict:
    return {
        "file": str(MIGRATIONS_DIRECTORY / "alembic.ini"),
        "script_location": str(MIGRATIONS_DIRECTORY),
    }


@pytest.fixture
def alembic_engine(empty_database: URL) -> Iterator[Engine]:
    """pytest-alembic's own engine on a fresh database of this engine."""
    engine = create_engine(empty_database)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def flask_app_context(empty_database: URL) -> Iterator[None]:
    """env.py reads Flask-Migrate's settings from the current app."""
    app = make_app(empty_database)
    with app.app_context():
        yield
    dispose(app)
