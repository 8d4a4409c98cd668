"""What `flask db migrate` writes, and what it and `flask db check` compare, beyond Alembic's
defaults (migrations/env.py hooks).

Indexes on an expression (models.unique_ignoring_case) need more of them: Alembic cannot
read ddl_if, so an index the models build on some engines only is left out elsewhere
(include_object); and SQLite's reflection cannot see such an index at all, so there the
models' own are compared by name (compare_sqlite_expression_indexes), and the warnings
that say they are skipped are not shown for them (expression_indexes_unreflected).
"""

import re
import warnings
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from alembic.autogenerate import comparators
from alembic.autogenerate.api import AutogenContext
from alembic.operations.ops import CreateIndexOp
from alembic.operations.ops import ModifyTableOps
from sqlalchemy import Index
from sqlalchemy import MetaData
from sqlalchemy import Table
from sqlalchemy import text
from sqlalchemy.exc import SAWarning
from sqlalchemy.sql.elements import ColumnClause
from sqlalchemy.sql.elements import UnaryExpression

from blog.models import UTCDateTime

IncludeObject = Callable[[Any, str | None, str, bool, Any], bool]


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write the app's UTCDateTime in a generated revision as the types it stores.

    Otherwise autogenerate writes `blog.models.UTCDateTime()`, which the revision does not
    import; and a revision must not import the models, which change after it is written.
    """
    if type_ == "type" and isinstance(obj, UTCDateTime):
        autogen_context.imports.add("from sqlalchemy.dialects import mysql")
        return 'sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")'
    return False


def include_object(dialect: str) -> IncludeObject:
    """Autogenerate's include_object on `dialect`: without the models' indexes that are
    built on other engines only (models.only_on), such as lower(name) on MariaDB."""

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        only_on = obj.info.get("only_on") if type_ == "index" and not reflected else None
        return only_on is None or dialect in only_on

    return include


def is_expression_index(index: Index) -> bool:
    """True for an index on an expression, such as lower(name), not only on columns (each
    maybe DESC), as SQLAlchemy and Alembic tell them apart."""
    for expression in index.expressions:
        while isinstance(expression, UnaryExpression):
            expression = expression.element
        if not isinstance(expression, ColumnClause) or expression.is_literal:
            return True
    return False


@contextmanager
def expression_indexes_unreflected(metadata: MetaData, dialect: str) -> Iterator[None]:
    """Around a migration run on SQLite, whose reflection skips an index on an expression:
    SQLAlchemy warns whenever it reflects such a table (autogenerate's comparison, or batch
    mode reading a table that a foreign key names), and Alembic when it cannot compare the
    index (pytest makes each an error). The models' own are compared by name instead, so
    `flask db check` still misses none (one that a batch-mode copy of its table loses, for
    instance): for them, and only them, these warnings are left out. Any other index on an
    expression still warns; on other engines nothing changes."""
    names = [
        re.escape(str(index.name))
        for table in metadata.tables.values()
        for index in table.indexes
        if is_expression_index(index)
    ]
    with warnings.catch_warnings():
        if dialect == "sqlite" and names:
            either = "|".join(names)
            warnings.filterwarnings(
                "ignore",
                f"Skipped unsupported reflection of expression-based index ({either})$",
                SAWarning,
            )
            warnings.filterwarnings(
                "ignore",
                f"autogenerate skipping metadata-specified expression-based index '({either})'",
                UserWarning,
            )
        yield


@comparators.dispatch_for("table", qualifier="sqlite")
def compare_sqlite_expression_indexes(
    autogen_context: AutogenContext,
    modify_ops: ModifyTableOps,
    schema: str | None,
    table_name: str,
    conn_table: Table | None,
    metadata_table: Table | None,
) -> None:
    """On SQLite, each of a table's indexes on an expression that the models declare and
    the database lacks, by name: to be created (Alembic's comparison skips them there)."""
    if metadata_table is None or autogen_context.connection is None:
        return
    declared = [
        index
        for index in sorted(metadata_table.indexes, key=lambda index: str(index.name))
        if is_expression_index(index)
        and autogen_context.run_object_filters(index, index.name, "index", False, None)
    ]
    if not declared:
        return
    present: set[str] = set()
    if conn_table is not None:
        present = set(
            autogen_context.connection.scalars(
                text("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = :t"),
                {"t": table_name},
            )
        )
    for index in declared:
        if index.name not in present:
            modify_ops.ops.append(CreateIndexOp.from_index(index))
