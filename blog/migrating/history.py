"""This release's revisions as the web workers need them: head, every revision, and what
the code can serve on. Read from the revision files' constants (`revision`,
`down_revision`, `phase`), without importing them or Alembic.

Alembic's ScriptDirectory reads the same, but it imports Alembic and every revision, and
that costs each worker about 9 MB (docs/benchmarks.md); the commands, which run
migrations, use Alembic as ever. tests/test_history.py checks that the two
readings agree.
"""

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from blog.migrating.phases import PRE_DEPLOY
from blog.migrating.phases import check_phase

# migrations/ sits beside the package, so `flask db` finds it from any working directory.
MIGRATIONS_DIRECTORY = Path(__file__).resolve().parents[2] / "migrations"
# The names Alembic reads from a revision file, and the one blog.migrating.phases adds.
CONSTANTS = ("revision", "down_revision", "phase")


class HistoryError(Exception):
    """A history the blog does not serve on: several heads, a merge, a broken link."""


@dataclass(frozen=True)
class History:
    """This release's migrations, as /readyz and release_complete() need them."""

    head: str | None  # None before the first revision
    revisions: frozenset[str]
    # What the code can serve on: head, and down to the pre-deploy head.
    servable: frozenset[str]


def read_history(directory: Path = MIGRATIONS_DIRECTORY) -> History:
    """The history in `directory`/versions, which must be one line, as `flask db lint`
    and the seeds keep it."""
    newest_first = walk(read_revisions(directory / "versions"))
    servable = set()
    for revision, phase in newest_first:
        servable.add(revision)
        if phase == PRE_DEPLOY:  # the pre-deploy head: the previous release serves on it
            break
    return History(
        head=newest_first[0][0] if newest_first else None,
        revisions=frozenset(revision for revision, _ in newest_first),
        servable=frozenset(servable),
    )


def read_revisions(versions: Path) -> dict[str, dict[str, Any]]:
    """Each revision file's constants, by revision id. As Alembic does, every .py file but
    an __init__.py must be a revision."""
    found = {}
    for path in sorted(versions.glob("*.py")):
        if path.name.startswith(("__init__", ".#")):  # .#: an editor's lock file
            continue
        constants = module_constants(path)
        if "revision" not in constants:
            raise HistoryError(f"{path} sets no `revision`: every file there is a revision")
        constants.setdefault("phase", PRE_DEPLOY)
        check_phase(constants["revision"], path, constants["phase"])
        found[constants["revision"]] = constants
    return found


def module_constants(path: Path) -> dict[str, Any]:
    """The module-level `name = <literal>` (or `name: type = <literal>`) of CONSTANTS."""
    constants = {}
    for node in ast.parse(path.read_text(encoding="utf-8"), str(path)).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in CONSTANTS:
            constants[target.id] = ast.literal_eval(value)
    return constants


def walk(revisions: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    """(revision, phase) from head down to the first revision."""
    parents = {
        revision: constants.get("down_revision") for revision, constants in revisions.items()
    }
    if any(not (parent is None or isinstance(parent, str)) for parent in parents.values()):
        raise HistoryError("a revision merges branches: the history must be one line")
    for revision, parent in parents.items():
        if parent is not None and parent not in revisions:
            raise HistoryError(f"{revision} revises {parent}, which is not there")
    heads = set(parents) - set(parents.values())
    if len(heads) > 1:
        raise HistoryError(f"several heads ({', '.join(sorted(heads))}): merge them")
    line: list[tuple[str, str]] = []
    below: str | None = next(iter(heads), None)
    while below is not None and len(line) <= len(revisions):  # a loop stops too
        line.append((below, revisions[below]["phase"]))
        below = parents[below]
    if len(line) != len(revisions):
        raise HistoryError("some revisions are not below head: the history must be one line")
    return line
