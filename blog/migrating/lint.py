"""`flask db lint`: the operations of pre-deploy revisions a live site would feel, each with
the safe way to do it, in the spirit of strong_migrations.

A pre-deploy revision runs while the previous release still serves (phases.py): it must
not take away what that release reads, and must not hold a big table's lock for long. The
revisions are read, not run: every `op.*` and `batch_op.*` call in `upgrade()`, and the SQL
text handed to `op.execute`. An operation someone reviewed carries a comment saying why, on
its lines or just above them: `# lint: reviewed — posts is empty at this revision`.
"""

import ast
import io
import re
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from alembic.script import Script

from blog.migrating.ledger import relative_path
from blog.migrating.phases import PRE_DEPLOY
from blog.migrating.phases import phase

REVIEWED = re.compile(r"#\s*lint:\s*reviewed\s*[—:-]+\s*\S")

# rule: (what it is, the safe way)
RULES = {
    "drop-column": (
        "drops a column",
        "stop reading it in this release, and drop it in a post-deploy revision (or a later"
        " release)",
    ),
    "drop-table": (
        "drops a table",
        "stop using it in this release, and drop it in a post-deploy revision (or a later"
        " release)",
    ),
    "rename": (
        "renames a column or a table",
        "expand/contract: add the new one (pre-deploy), fill it with"
        " blog.migrating.backfill, switch the code to it, drop the old one post-deploy",
    ),
    "change-type": (
        "changes a column's type",
        "add a column of the new type (pre-deploy), fill it with blog.migrating.backfill,"
        " switch the code, drop the old column post-deploy",
    ),
    "not-null-without-default": (
        "makes a column NOT NULL without a server default",
        "give it a server_default, or add it nullable (pre-deploy), fill it, and make it"
        " NOT NULL with blog.migrating.not_null.set_not_null in a post-deploy revision",
    ),
    "index-not-concurrent": (
        "builds an index on an existing table without CONCURRENTLY on PostgreSQL",
        "blog.migrating.indexes.create_index, which builds it CONCURRENTLY (INPLACE on"
        " MariaDB) outside the run's transaction",
    ),
    "constraint-not-valid": (
        "adds a foreign key or check to an existing table without NOT VALID on PostgreSQL",
        "add it with postgresql_not_valid=True, then VALIDATE CONSTRAINT outside the"
        " transaction (blog.migrating.run.outside_transaction) in a later revision",
    ),
    "backfill-in-one-statement": (
        "changes a table's rows in one statement",
        "blog.migrating.backfill: batches of at most 1,000 rows, each committed by itself",
    ),
}

OPERATIONS = {
    "drop_column": "drop-column",
    "drop_table": "drop-table",
    "rename_table": "rename",
}
SQL_RULES = [
    (re.compile(r"^\s*(UPDATE|DELETE)\b", re.I), "backfill-in-one-statement"),
    (re.compile(r"\bCREATE\s+(UNIQUE\s+)?INDEX\b(?!\s+CONCURRENTLY)", re.I),
     "index-not-concurrent"),
    (re.compile(r"\bADD\s+CONSTRAINT\b(?!.*\bNOT\s+VALID\b)", re.I | re.S),
     "constraint-not-valid"),
    (re.compile(r"\bDROP\s+COLUMN\b", re.I), "drop-column"),
    (re.compile(r"\bDROP\s+TABLE\b", re.I), "drop-table"),
    (re.compile(r"\bRENAME\b", re.I), "rename"),
]  # fmt: skip


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    revision: str
    rule: str
    operation: str

    def __str__(self) -> str:
        what, safe = RULES[self.rule]
        return (
            f"{self.path}:{self.line}: {self.rule}: {self.operation} {what}, in pre-deploy"
            f" revision {self.revision}; the safe way: {safe} (or, once reviewed, say why in"
            " a `# lint: reviewed — ...` comment)"
        )


@dataclass(frozen=True)
class Result:
    findings: list[Finding]
    reviewed: int


def lint(scripts: list[Script]) -> Result:
    """The unreviewed unsafe operations of the pre-deploy revisions among `scripts`."""
    findings: list[Finding] = []
    reviewed = 0
    for script in scripts:
        if phase(script) != PRE_DEPLOY:
            continue
        source = Path(script.path).read_text()
        comments = review_comments(source)
        shown = relative_path(script)
        for node, rule, operation in unsafe_operations(ast.parse(source)):
            if is_reviewed(node, comments):
                reviewed += 1
            else:
                findings.append(Finding(shown, node.lineno, script.revision, rule, operation))
    return Result(sorted(findings, key=lambda f: (f.path, f.line)), reviewed)


def review_comments(source: str) -> dict[int, tuple[str, bool]]:
    """Each comment by line: its text, and whether it is the whole line (a comment block
    above an operation may hold its review; a trailing one speaks for its own line)."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {
        token.start[0]: (token.string, token.line.strip().startswith("#"))
        for token in tokens
        if token.type == tokenize.COMMENT
    }


def is_reviewed(node: ast.expr, comments: dict[int, tuple[str, bool]]) -> bool:
    """A review comment on the operation's lines, or in the comment block right above it."""
    end = node.end_lineno or node.lineno
    for line in range(node.lineno, end + 1):
        if REVIEWED.search(comments.get(line, ("", False))[0]):
            return True
    line = node.lineno - 1
    while line in comments and comments[line][1]:
        if REVIEWED.search(comments[line][0]):
            return True
        line -= 1
    return False


def unsafe_operations(module: ast.Module) -> Iterator[tuple[ast.Call, str, str]]:
    """Each unsafe operation of `upgrade()`: its call, its rule, and how it reads."""
    upgrade = next(
        (
            node
            for node in module.body
            if isinstance(node, ast.FunctionDef) and node.name == "upgrade"
        ),
        None,
    )
    if upgrade is None:
        return
    created = {
        table
        for node in ast.walk(upgrade)
        if isinstance(node, ast.Call) and operation_name(node) == "create_table"
        if (table := first_string(node)) is not None
    }
    batch_tables = batch_aliases(upgrade)
    for node in ast.walk(upgrade):
        if not isinstance(node, ast.Call) or (name := operation_name(node)) is None:
            continue
        receiver = (
            node.func.value.id
            if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
            else ""
        )
        table = batch_tables.get(receiver) if receiver != "op" else table_argument(node, name)
        shown = f"{receiver}.{name}()"
        if rule := OPERATIONS.get(name):
            yield node, rule, shown
        elif name == "alter_column":
            keywords = {keyword.arg: keyword.value for keyword in node.keywords}
            if "new_column_name" in keywords:
                yield node, "rename", shown
            if "type_" in keywords:
                yield node, "change-type", shown
            if is_false(keywords.get("nullable")) and "server_default" not in keywords:
                yield node, "not-null-without-default", shown
        elif name == "add_column":
            if any(is_required_column(arg) for arg in node.args):
                yield node, "not-null-without-default", shown
        elif name == "create_index" and table not in created:
            if not is_true(keyword(node, "postgresql_concurrently")):
                yield node, "index-not-concurrent", shown
        elif name in ("create_foreign_key", "create_check_constraint") and table not in created:
            if not is_true(keyword(node, "postgresql_not_valid")):
                yield node, "constraint-not-valid", shown
        elif name == "execute":
            for text in strings(node):
                for pattern, rule in SQL_RULES:
                    if pattern.search(text):
                        yield node, rule, f"{shown} of {first_words(text)}"


def operation_name(node: ast.Call) -> str | None:
    """`drop_column` for `op.drop_column(...)` or `batch_op.drop_column(...)`."""
    func = node.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        receiver = func.value.id
        return func.attr if receiver == "op" or receiver.endswith("batch_op") else None
    return None


def batch_aliases(function: ast.FunctionDef) -> dict[str, str | None]:
    """`with op.batch_alter_table("posts") as batch_op`: batch_op -> posts."""
    aliases: dict[str, str | None] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.With):
            for item in node.items:
                call = item.context_expr
                if (
                    isinstance(call, ast.Call)
                    and operation_name(call) == "batch_alter_table"
                    and isinstance(item.optional_vars, ast.Name)
                ):
                    aliases[item.optional_vars.id] = first_string(call)
    return aliases


def table_argument(node: ast.Call, name: str) -> str | None:
    """The table an `op.*` call works on: create_index(name, table, ...), the others
    (table, ...); create_foreign_key(name, source, ...)."""
    position = (
        1 if name in ("create_index", "create_foreign_key", "create_check_constraint") else 0
    )
    if len(node.args) > position and isinstance(argument := node.args[position], ast.Constant):
        return argument.value if isinstance(argument.value, str) else None
    for keyword_name in ("table_name", "source_table", "source"):
        if isinstance(value := keyword(node, keyword_name), ast.Constant):
            return str(value.value)
    return None


def is_required_column(node: ast.expr) -> bool:
    """`sa.Column(..., nullable=False)` with no server_default."""
    if not (isinstance(node, ast.Call) and call_name(node) == "Column"):
        return False
    return is_false(keyword(node, "nullable")) and keyword(node, "server_default") is None


def call_name(node: ast.Call) -> str:
    func = node.func
    return (
        func.attr
        if isinstance(func, ast.Attribute)
        else func.id
        if isinstance(func, ast.Name)
        else ""
    )


def keyword(node: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in node.keywords if k.arg == name), None)


def is_true(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def is_false(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def first_string(node: ast.Call) -> str | None:
    if (
        node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return node.args[0].value
    return None


def strings(node: ast.Call) -> list[str]:
    """The SQL text in a call's arguments: each string constant, implicit concatenations
    joined (Python joins adjacent literals before the AST sees them)."""
    return [
        child.value
        for argument in node.args
        for child in ast.walk(argument)
        if isinstance(child, ast.Constant) and isinstance(child.value, str)
    ]


def first_words(text: str) -> str:
    words = " ".join(text.split()[:4])
    return f'"{words}..."'
