"""Which unique key refused a write, on each engine: so that a name another writer took
first is told apart from any other IntegrityError, which stays an error."""

import re

from sqlalchemy.exc import IntegrityError

# What each engine's driver says, beyond the constraint's name.
POSTGRESQL_UNIQUE_VIOLATION = "23505"  # SQLSTATE
MYSQL_DUPLICATE_ENTRY = 1062  # ER_DUP_ENTRY
# "Duplicate entry 'python' for key 'uq_categories_name'" (MySQL 8 puts "table." before it).
MYSQL_KEY = re.compile(r"for key '(?:[^']*\.)?([^'.]+)'$")
SQLITE_UNIQUE = "UNIQUE constraint failed: "


def is_unique_violation(error: IntegrityError, table: str, column: str) -> bool:
    """True if `error` is `table.column`'s unique key refusing a value another row has:
    the column's own, uq_<table>_<column>, or its index ignoring case,
    uq_<table>_<column>_lower (the names blog/models.py gives them)."""
    names = {f"uq_{table}_{column}", f"uq_{table}_{column}_lower"}
    orig = error.orig
    if getattr(orig, "sqlstate", None) == POSTGRESQL_UNIQUE_VIOLATION:  # psycopg
        return getattr(getattr(orig, "diag", None), "constraint_name", None) in names
    args = getattr(orig, "args", ())
    if args and args[0] == MYSQL_DUPLICATE_ENTRY:  # PyMySQL, MariaDB
        match = MYSQL_KEY.search(str(args[1]) if len(args) > 1 else "")
        return match is not None and match[1] in names
    message = str(orig)
    if message.startswith(SQLITE_UNIQUE):
        # A column's own key is named by its column, "categories.name"; an index by name,
        # "index 'uq_categories_name_lower'".
        failed = message.removeprefix(SQLITE_UNIQUE)
        return failed == f"{table}.{column}" or failed in {f"index '{name}'" for name in names}
    return False
