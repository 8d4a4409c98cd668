"""The lock files in requirements/ agree with pyproject.toml; offline, these only read files.

`make lock` writes the locks and runs this file as a script, which prints the digest of
pyproject.toml that each lock's header records: so the module needs nothing but the standard
library at import, and the tests import `packaging` (a dependency of pytest) themselves.
"""

import hashlib
import json
import re
import shutil
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
REQUIREMENTS = ROOT / "requirements"
# The installed locks and the extras each holds besides [project].dependencies (the Makefile's
# `lock`); constraints.txt, their joint resolution, holds every extra and no hashes.
LOCKS = {"app": ["dev"], "test": ["test"], "lint": ["lint"]}
JOINT = "constraints"
STALE = "pyproject.toml changed since the lock: run make lock"
# Where the locks are resolved for (the Makefile's LOCK_TARGET), to evaluate markers.
TARGET = {
    "python_version": "3.11",
    "python_full_version": "3.11.0",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "os_name": "posix",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
}


def pyproject_digest(path: Path = PYPROJECT) -> str:
    """SHA-256 of the tables a lock is resolved from; comments and layout don't count."""
    project = tomllib.loads(path.read_text())["project"]
    keys = ("requires-python", "dependencies", "optional-dependencies")
    tables = {key: project.get(key) for key in keys}
    return hashlib.sha256(json.dumps(tables, sort_keys=True).encode()).hexdigest()


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(name: str) -> tuple[str | None, dict[str, tuple[str, list[str]]]]:
    """requirements/NAME.txt's recorded digest, and each package's pinned version and hashes."""
    text = (REQUIREMENTS / f"{name}.txt").read_text()
    recorded = re.search(r"^# pyproject-sha256: ([0-9a-f]{64})$", text, re.MULTILINE)
    pins = {}
    for line in text.replace("\\\n", " ").splitlines():
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        requirement, *options = entry.split()
        package, pinned, version = requirement.partition("==")
        assert pinned and all(option.startswith("--hash=") for option in options), (
            f"requirements/{name}.txt: {entry!r} is not a pin (name==version --hash=...)"
        )
        pins[canonical(package)] = (version, [option[7:] for option in options])
    return (recorded[1] if recorded else None), pins


def wanted(extras: list[str]) -> list[str]:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    optional = project.get("optional-dependencies", {})
    return project["dependencies"] + [spec for extra in extras for spec in optional[extra]]


def test_each_lock_records_this_pyproject():
    current = pyproject_digest()
    stale = [f"requirements/{n}.txt" for n in [*LOCKS, JOINT] if read_lock(n)[0] != current]
    assert not stale, f"{STALE} ({', '.join(stale)} record another one, or none)"


def test_the_digest_follows_the_dependencies_not_the_comments(tmp_path):
    copy = tmp_path / "pyproject.toml"
    shutil.copy(PYPROJECT, copy)
    text = copy.read_text()
    copy.write_text(text.replace("dependencies = [", "# a comment\ndependencies = [", 1))
    assert pyproject_digest(copy) == pyproject_digest()
    copy.write_text(text.replace("dependencies = [", 'dependencies = [\n    "rich>=13",', 1))
    assert pyproject_digest(copy) != pyproject_digest()


def test_each_lock_pins_what_pyproject_asks_for():
    from packaging.requirements import Requirement

    every_extra = list(tomllib.loads(PYPROJECT.read_text())["project"]["optional-dependencies"])
    problems = []
    for name, extras in [*LOCKS.items(), (JOINT, every_extra)]:
        lock, pins = f"requirements/{name}.txt", read_lock(name)[1]
        for spec in wanted(extras):
            requirement = Requirement(spec)
            if requirement.marker and not requirement.marker.evaluate(TARGET):
                continue
            version = pins.get(canonical(requirement.name), (None,))[0]
            if version is None:
                problems.append(f"{lock} has no {requirement.name} ({spec})")
            elif not requirement.specifier.contains(version, prereleases=True):
                problems.append(f"{lock} pins {requirement.name}=={version}: {spec}")
    assert not problems, f"{STALE}:\n" + "\n".join(problems)


def test_every_installed_pin_has_a_hash():
    unhashed = [
        f"requirements/{name}.txt: {package}"
        for name in LOCKS
        for package, (_, hashes) in read_lock(name)[1].items()
        if not any(re.fullmatch(r"sha256:[0-9a-f]{64}", digest) for digest in hashes)
    ]
    assert not unhashed, "pip install --require-hashes would refuse these:\n" + "\n".join(unhashed)


def test_the_locks_share_one_version_of_each_package():
    """.venv takes every lock in turn: a version of its own in one would flip at each install."""
    joint = read_lock(JOINT)[1]
    off = [
        f"requirements/{name}.txt pins {package}=={version}, constraints.txt "
        f"{joint.get(package, ('nothing',))[0]}"
        for name in LOCKS
        for package, (version, _) in read_lock(name)[1].items()
        if joint.get(package, (None,))[0] != version
    ]
    assert not off, "run make lock:\n" + "\n".join(off)


if __name__ == "__main__":
    print(pyproject_digest())
