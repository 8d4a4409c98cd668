"""The revision files a deploy from the previous release leaves for `flask deploy --post`.

Usage: post_deploy_files.py MIGRATIONS_DIRECTORY PREVIOUS_COMMIT. The previous release's
database is at the heads of that commit's history; what `flask deploy` would stop before,
from there, is printed one file name per line (scripts/previous-release removes them).
"""

import subprocess
import sys
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

from blog.migrating.phases import deploy_plan


def main(directory: str, previous: str) -> None:
    config = Config()
    config.set_main_option("script_location", directory)
    scripts = ScriptDirectory.from_config(config)
    files = subprocess.run(
        ["git", "ls-tree", "--name-only", previous, "migrations/versions/"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    everything = list(scripts.walk_revisions())
    released = {s.revision for s in everything if any(s.revision in name for name in files)}
    below = {
        down
        for s in everything
        if s.revision in released
        for down in (
            [s.down_revision] if isinstance(s.down_revision, str) else s.down_revision or []
        )
    }
    heads = tuple(sorted(released - below))
    for script in deploy_plan(scripts, heads).post:
        print(Path(script.path).name)


if __name__ == "__main__":
    main(*sys.argv[1:])
