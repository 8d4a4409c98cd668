"""Before a revision makes a unique key stricter: the rows it would refuse, named.

Built on rows that already clash, a unique index fails with the engine's own error, which
names one value at most; on PostgreSQL, built CONCURRENTLY, it also leaves an INVALID index
behind. Checked first, the run stops before anything is written, in one line that names
every clashing row and says what to do: the revision's transaction rolls back, and the
database stays at the revision before it.
"""

from collections.abc import Mapping
from itertools import groupby

import sqlalchemy as sa
from alembic import op

# Clashes named per table; any beyond are counted.
SHOWN = 10


class DuplicatesError(RuntimeError):
    """Rows a stricter unique key would refuse. A RuntimeError, so that `flask db upgrade`
    (Flask-Migrate) prints the message as one line and exits 1."""


def refuse_duplicates(keys: Mapping[str, str], column: str, *, rule: str, remedy: str) -> None:
    """Stop the run if two rows of a table in `keys` have the same key, `keys[table]`: an
    SQL expression of `column` that compares as the unique index about to be built will
    (such as lower(name)). The message names each clash's rows (id, `column`), says that
    `column` is to be `rule` ("unique ignoring case"), and ends with `remedy`.

    A script (`--sql`) cannot look at the rows: there nothing is checked.
    """
    if op.get_context().as_sql:
        return
    found = {
        table: groups for table, key in keys.items() if (groups := clashes(table, column, key))
    }
    if found:
        where = " and ".join(f"{table}.{column}" for table in keys)
        rows = "; ".join(f"in {table} {described(groups)}" for table, groups in found.items())
        raise DuplicatesError(
            f"{where} {'is' if len(keys) == 1 else 'are'} to be {rule}, and these rows clash"
            f" (id, {column}): {rows}. {remedy}"
        )


def clashes(table: str, column: str, key: str) -> list[list[tuple[int, str]]]:
    """The rows of `table` whose key another row shares: (id, `column`), in groups of one
    key each, by id. The database groups them, as only it knows which keys are equal (under
    a collation, "Python" and "python" may be)."""
    rows = op.get_bind().execute(
        sa.text(
            f"SELECT t.id, t.{column}, g.first_id"
            f" FROM (SELECT id, {column}, {key} AS k FROM {table}) AS t"
            f" JOIN (SELECT {key} AS k, MIN(id) AS first_id FROM {table}"
            f" GROUP BY {key} HAVING COUNT(*) > 1) AS g ON t.k = g.k"
            " ORDER BY g.first_id, t.id"
        )
    )
    return [
        [(row_id, value) for row_id, value, _ in group]
        for _, group in groupby(rows, key=lambda row: row[2])
    ]


def described(groups: list[list[tuple[int, str]]]) -> str:
    """`3 'Python' = 7 'python', 4 'Go' = 9 'GO'`: the first SHOWN clashes, then a count."""
    shown = ", ".join(
        " = ".join(f"{row_id} {value!r}" for row_id, value in group) for group in groups[:SHOWN]
    )
    more = f" and {len(groups) - SHOWN} more" if len(groups) > SHOWN else ""
    return shown + more
