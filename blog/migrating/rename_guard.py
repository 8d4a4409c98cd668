"""Autogenerate's blind spot: a renamed column or table looks like a drop and an add.

Alembic "is unable to detect table name changes, column name changes": it writes a drop
(losing every value) and an add. `flask db migrate` calls `rename_warnings` on what it is
about to write (migrations/env.py); each warning is printed, and written as a comment at the
top of the script with the operation to use instead. The operations are never rewritten:
only the developer knows whether it was a rename.
"""

import textwrap
from typing import Any

from alembic.operations import ops
from sqlalchemy import Column
from sqlalchemy import Table
from sqlalchemy.types import TypeEngine


def rename_warnings(upgrade_ops: ops.UpgradeOps) -> list[str]:
    """A warning for each dropped-and-added pair that looks like a rename."""
    warnings = []
    created = [op for op in upgrade_ops.ops if isinstance(op, ops.CreateTableOp)]
    dropped = [op for op in upgrade_ops.ops if isinstance(op, ops.DropTableOp)]
    for drop in dropped:
        old = drop.to_table()
        for create in created:
            new = create.to_table()
            if same_columns(old, new):
                warnings.append(
                    f'table "{old.name}" is dropped and table "{new.name}", with the same'
                    f" columns, is created. If this is a rename, the script loses every row"
                    f' of "{old.name}": use instead\n'
                    f'    op.rename_table("{old.name}", "{new.name}")'
                )
    for table_ops in upgrade_ops.ops:
        if isinstance(table_ops, ops.ModifyTableOps):
            warnings.extend(column_warnings(table_ops))
    return warnings


def column_warnings(table_ops: ops.ModifyTableOps) -> list[str]:
    table = table_ops.table_name
    added = [op.column for op in table_ops.ops if isinstance(op, ops.AddColumnOp)]
    dropped = [op.to_column() for op in table_ops.ops if isinstance(op, ops.DropColumnOp)]
    warnings = []
    for old in dropped:
        for new in added:
            if compatible(old, new):
                warnings.append(
                    f'in table "{table}", column "{old.name}" is dropped and column'
                    f' "{new.name}", of a compatible type, is added. If this is a rename, the'
                    f' script loses every value of "{old.name}": use instead\n'
                    f'    op.alter_column("{table}", "{old.name}", new_column_name="{new.name}")\n'
                    f"(in a batch_alter_table block:"
                    f' batch_op.alter_column("{old.name}", new_column_name="{new.name}"))'
                )
    return warnings


def compatible(old: Column[Any], new: Column[Any]) -> bool:
    """The same kind of value: a rename would keep every one of them."""
    return old.type._type_affinity is new.type._type_affinity


def same_columns(old: Table, new: Table) -> bool:
    def shape(table: Table) -> set[tuple[str, type[TypeEngine[Any]] | None]]:
        return {(column.name, column.type._type_affinity) for column in table.columns}

    return old.name != new.name and shape(old) == shape(new)


def as_comment(warnings: list[str]) -> str:
    """The warnings as a comment block for the top of a revision script, lines kept short."""
    if not warnings:
        return ""
    lines = ["# WARNING (rename guard): review before you upgrade.", "#"]
    for warning in warnings:
        for number, line in enumerate(warning.splitlines()):
            if line.startswith("    "):  # code: one line, as it is to be pasted
                lines.append(f"#   {line}")
            else:
                bullet = "- " if number == 0 else "  "
                lines.extend(
                    textwrap.wrap(
                        line, width=95, initial_indent=f"# {bullet}", subsequent_indent="#   "
                    )
                )
    return "\n".join(lines) + "\n"
