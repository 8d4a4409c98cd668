"""Filling a new column of a big table while the site serves: in batches, each one short
statement committed by itself, resumable.

One UPDATE of a million rows would hold a million row locks (every read count of those
posts waiting behind it), on SQLite the write lock, for as long as it runs, and a failure
at the end would undo it all. Batches of at most 1,000 rows each take a few milliseconds,
and a run that stops half-way keeps every batch it committed.
"""

import logging
import time
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from functools import cache
from typing import Any

import click
import sqlalchemy as sa
from alembic import op
from flask import current_app
from sqlalchemy.engine import Connection
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from blog.migrating.run import outside_transaction
from blog.migrating.run import patient_lock_wait

logger = logging.getLogger("alembic.env")

# A batch that clashes with a row written meanwhile (a unique value) is computed again.
ATTEMPTS_PER_BATCH = 5

Values = Callable[[Connection, Sequence[Row[Any]]], Mapping[int, Any]]


def backfill(
    table: sa.TableClause, column: str, values: Values, *, using: Sequence[str], label: str
) -> None:
    """Set `table.column` wherever it is NULL, to `values(connection, rows)` for batches of
    rows (`id` and the `using` columns), walking the rows in id order.

    Outside the run's transaction, each batch one UPDATE committed by itself, of at most
    BACKFILL_BATCH_SIZE rows (1,000), with a pause of BACKFILL_PAUSE_SECONDS between them.
    Killed and run again, it takes up where it stopped: a row that has its value is never
    read again. Rows written meanwhile come last, with the highest ids; one committed late
    with a lower id than the walk has reached (ids are handed out before commits) is left
    for a later pass, such as a post-deploy revision's. An UPDATE refused by a unique index,
    because a row written meanwhile took one of the values, is computed again with what the
    database holds then. On PostgreSQL, the table is analyzed first, and vacuumed afterwards:
    the dead rows the batches left are reclaimed, and autovacuum does not start on them in
    the middle of the next step, whose locks it would hold up.
    """
    context = op.get_context()
    if context.as_sql:
        context.impl.static_output(
            f"-- {label}: {table.name}.{column} is filled in batches by Python code, which"
            " a script cannot hold: run this revision online (flask db upgrade)."
        )
        return
    batch_size = current_app.config["BACKFILL_BATCH_SIZE"]
    pause = current_app.config["BACKFILL_PAUSE_SECONDS"]
    target = table.c[column]
    with outside_transaction():
        connection = op.get_bind()
        if connection.dialect.name == "postgresql":
            # Statistics of the column as it is: without them, PostgreSQL guesses that few
            # rows are NULL, and would sort every NULL row for each batch.
            with patient_lock_wait():
                op.execute(f"ANALYZE {table.name}")
        remaining = connection.scalar(
            sa.select(sa.func.count()).select_from(table).where(target.is_(None))
        )
        if not remaining:
            return
        pending = (
            sa.select(table.c.id, *(table.c[name] for name in using))
            .where(target.is_(None), table.c.id > sa.bindparam("after"))
            .order_by(table.c.id)
            .limit(batch_size)
        )
        started, filled, batches, slowest, after = time.monotonic(), 0, 0, 0.0, 0
        with click.progressbar(length=remaining, label=label, show_pos=True) as bar:
            while rows := connection.execute(pending, {"after": after}).all():
                batch_started = time.monotonic()
                fill(connection, table, target, rows, values)
                slowest = max(slowest, time.monotonic() - batch_started)
                filled, batches, after = filled + len(rows), batches + 1, rows[-1].id
                bar.update(len(rows))
                if pause:
                    time.sleep(pause)
        logger.info(
            "%s: %d rows in %d batches, %.1f s; the longest batch took %.3f s.",
            label,
            filled,
            batches,
            time.monotonic() - started,
            slowest,
        )
        if connection.dialect.name == "postgresql":
            with patient_lock_wait():
                op.execute(f"VACUUM (ANALYZE) {table.name}")


def fill(
    connection: Connection,
    table: sa.TableClause,
    target: sa.ColumnClause[Any],
    rows: Sequence[Row[Any]],
    values: Values,
) -> None:
    """One batch: one UPDATE ... SET column = CASE id WHEN ... END, committed by itself."""
    for attempt in range(1, ATTEMPTS_PER_BATCH + 1):
        new = values(connection, rows)
        parameters = {}
        for i, (row_id, value) in enumerate(new.items()):
            parameters[f"id_{i}"], parameters[f"value_{i}"] = row_id, value
        try:
            connection.execute(update_statement(table.name, target.name, len(new)), parameters)
            return
        except IntegrityError:
            if attempt == ATTEMPTS_PER_BATCH:
                raise
            logger.info("A row written meanwhile took one of this batch's values: again.")


@cache
def update_statement(table: str, column: str, size: int) -> sa.TextClause:
    """UPDATE `table` SET `column` = CASE id WHEN :id_0 THEN :value_0 ... END for `size`
    rows still NULL, written once per size: built with sa.case(), the statement took more
    time to make than to run."""
    whens = " ".join(f"WHEN :id_{i} THEN :value_{i}" for i in range(size))
    ids = ", ".join(f":id_{i}" for i in range(size))
    return sa.text(
        f"UPDATE {table} SET {column} = CASE id {whens} END"
        f" WHERE id IN ({ids}) AND {column} IS NULL"
    )
