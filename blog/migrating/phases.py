"""Deploy phases: which revisions run before the new release serves, which only after.

A revision says which it is with a module-level `phase` (the template writes one):

- "pre-deploy" (expand, the default): safe while the previous release still serves. Adds a
  nullable column, an index built concurrently, fills a column in batches. `flask deploy`
  runs these before the new code starts.
- "post-deploy" (contract): only once the new release serves everywhere, because the
  previous release would break on it: a NOT NULL it does not fill in, a dropped column it
  still reads. `flask deploy --post` runs these.

The history stays one line, as the seeds teach it, and `flask db upgrade` still goes to
head; the phases only decide where `flask deploy` stops.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

# For the type hints only: the web workers import this module's names (through
# blog.migrating.history) and never Alembic.
if TYPE_CHECKING:
    from alembic.script import Script
    from alembic.script import ScriptDirectory

PRE_DEPLOY = "pre-deploy"
POST_DEPLOY = "post-deploy"
PHASES = (PRE_DEPLOY, POST_DEPLOY)


class PhaseError(Exception):
    """A revision's phase, or their order, that `flask deploy` cannot follow: one line."""


def phase(script: "Script") -> str:
    """The revision's phase: its module's `phase`, "pre-deploy" when it has none."""
    value = getattr(script.module, "phase", PRE_DEPLOY)
    check_phase(script.revision, script.path, value)
    return value


def check_phase(revision: str, path: str | Path, value: object) -> None:
    """Refuse a phase that is neither, naming the revision and its file."""
    if value not in PHASES:
        raise PhaseError(
            f"revision {revision} ({path}): phase must be"
            f" {' or '.join(map(repr, PHASES))}, not {value!r}"
        )


def pending(scripts: "ScriptDirectory", current: tuple[str, ...]) -> list["Script"]:
    """The revisions between the database's and head, oldest first."""
    start = current[0] if current else "base"
    return list(reversed(list(scripts.iterate_revisions("heads", start))))


@dataclass(frozen=True)
class DeployPlan:
    """What `flask deploy` applies now (`pre`), and what waits for `--post`."""

    pre: list["Script"]
    post: list["Script"]


def deploy_plan(scripts: "ScriptDirectory", current: tuple[str, ...]) -> DeployPlan:
    """Split the pending revisions at the first post-deploy one.

    A pre-deploy revision behind a post-deploy one cannot run before the new release
    serves: the post-deploy one would have to run first, while the previous release
    still serves on it.
    """
    revisions = pending(scripts, current)
    first_post = next((i for i, s in enumerate(revisions) if phase(s) == POST_DEPLOY), None)
    if first_post is None:
        return DeployPlan(pre=revisions, post=[])
    pre, post = revisions[:first_post], revisions[first_post:]
    blocked = next((s for s in post if phase(s) == PRE_DEPLOY), None)
    if blocked is not None:
        raise PhaseError(
            f"pre-deploy revision {blocked.revision} comes after post-deploy revision"
            f" {post[0].revision}, which must not run while the previous release serves:"
            " if that one belongs to the release serving now, run its `flask deploy --post`"
            " first; otherwise give it a place after the pre-deploy revisions"
        )
    return DeployPlan(pre=pre, post=post)
