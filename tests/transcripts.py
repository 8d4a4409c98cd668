"""The shell transcripts of README.md and docs/, read and replayed.

A transcript is a fenced `console` block: lines `$ command` (continued by a trailing
backslash), each followed by the output it prints. Replayed in a scratch copy of the
project by one bash, in order, file by file, so that a block sees what the blocks before it
did (a variable, a generated revision, a migrated database).

The parts of an output that vary are normalized on both sides before they are compared:
the scratch copy's path reads /path/to/blog, dates and times read <time>, and a revision id
that a command generates is matched to the one the document shows. In the document, `...`
stands for any text within a line, and a line of its own `...` for any number of lines.

An HTML comment just before a block speaks to the replay, and the reader never sees it:
- `<!-- transcript: not run: REASON -->`: the block needs what a test cannot have here (a
  production server); the test output lists it with the reason;
- `<!-- transcript: $ COMMAND -->`: run COMMAND first, unseen (it must succeed), such as
  the model edit a walk-through asks the reader to make by hand;
- `<!-- transcript: needs: TOOL ... -->`: the block runs only where these programs are
  installed (curl, jq), and is listed as not run elsewhere.

Whatever a document starts in the background (a server) is stopped with its shell.
"""

import contextlib
import difflib
import os
import re
import select
import shutil
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# The project as documents show it; the scratch copy's real path is replaced by this.
DOCUMENTED_ROOT = "/path/to/blog"
COMMAND_TIMEOUT = 120  # seconds, for any one command

FENCE = re.compile(r"^(?P<indent> *)```(?P<info>\S*)\s*$")
DIRECTIVE = re.compile(r"^\s*<!-- transcript: (?P<body>.*?) -->\s*$")
REVISION_ID = re.compile(r"(?<![0-9A-Za-z])[0-9a-f]{12}(?![0-9A-Za-z])")
VARYING = [
    re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?"),
    re.compile(r"\b\d{8}T\d{6}Z\b"),  # backups' names
    re.compile(r"\b\d{4}_\d{2}_\d{2}_\d{6}\b"),  # revision files' names
    re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),
]
# Variables of the caller's shell that would point the replay at another database.
UNSET = ("BLOG_CONFIG", "FLASK_APP", "FLASK_DEBUG", "SECRET_KEY", "DATABASE_URL")


@dataclass
class Command:
    line: int  # in the document, 1-based
    text: str
    expected: list[str]


@dataclass
class Block:
    line: int
    commands: list[Command]
    setup: list[str] = field(default_factory=list)
    not_run: str | None = None


def read_blocks(path: Path) -> list[Block]:
    """Every console block of a Markdown file, with the directives just before it."""
    lines = path.read_text().splitlines()
    blocks: list[Block] = []
    setup: list[str] = []
    not_run: str | None = None
    index = 0
    while index < len(lines):
        if directive := DIRECTIVE.match(lines[index]):
            body = directive["body"]
            if body.startswith("not run:"):
                not_run = body.removeprefix("not run:").strip()
            elif body.startswith("needs:"):
                missing = [tool for tool in body.split()[1:] if not shutil.which(tool)]
                if missing:
                    not_run = f"needs {', '.join(missing)}, not installed here"
            elif body.startswith("$ "):
                setup.append(body.removeprefix("$ "))
            else:
                raise ValueError(f"{path.name}:{index + 1}: unknown directive {body!r}")
            index += 1
            continue
        fence = FENCE.match(lines[index])
        if not fence or not fence["info"]:
            index += 1
            continue
        indent = len(fence["indent"])
        end = index + 1
        while not re.match(rf"^ {{0,{indent}}}```\s*$", lines[end]):
            end += 1
        if fence["info"] == "console":
            body = [line[indent:] for line in lines[index + 1 : end]]
            commands = parse_commands(body, first_line=index + 2, where=path.name)
            blocks.append(Block(index + 1, commands, setup, not_run))
        setup, not_run = [], None
        index = end + 1
    return blocks


def parse_commands(body: list[str], first_line: int, where: str) -> list[Command]:
    """Split a block into its commands and the output each one shows."""
    commands: list[Command] = []
    index = 0
    while index < len(body):
        if not body[index].startswith("$ "):
            raise ValueError(f"{where}:{first_line + index}: output before any `$ ` command")
        start = index
        text = body[index][2:]
        while text.endswith("\\"):
            index += 1
            text += "\n" + body[index]
        index += 1
        expected = []
        while index < len(body) and not body[index].startswith("$ "):
            expected.append(body[index])
            index += 1
        commands.append(Command(first_line + start, text, expected))
    return commands


def scratch_copy(destination: Path) -> Path:
    """The project's files (tracked or not ignored) under destination/blog, with the
    project's virtualenv linked in, and no instance/ folder: no database yet."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    root = destination / "blog"
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    (root / ".venv").symlink_to(ROOT / ".venv")
    return root


class Shell:
    """One bash in the scratch copy, run command by command, with stderr in its output."""

    def __init__(self, root: Path) -> None:
        env = {key: value for key, value in os.environ.items() if key not in UNSET}
        env = {key: value for key, value in env.items() if not key.endswith("_DATABASE_URL")}
        env.update(
            PATH=f"{root / '.venv' / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}",
            VIRTUAL_ENV=str(root / ".venv"),
            TERM="dumb",
            COLUMNS="100",
            PYTHONDONTWRITEBYTECODE="1",
        )
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            cwd=root,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: close() stops what it started
        )
        self.marker = f"__transcript_{uuid.uuid4().hex}__"
        self.run("exec 2>&1")

    def run(self, command: str) -> tuple[str, int]:
        """Run one command (its standard input empty); its output and exit status."""
        assert self.process.stdin and self.process.stdout
        script = f"{{ {command}\n}} </dev/null\nprintf '%s %s\\n' {self.marker} $?\n"
        self.process.stdin.write(script.encode())
        self.process.stdin.flush()
        output = b""
        deadline = time.monotonic() + COMMAND_TIMEOUT
        end = re.compile(rb"%s (\d+)\n" % self.marker.encode())
        while not (found := end.search(output)):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.process.stdout], [], [], left)[0]:
                raise TimeoutError(f"no end after {COMMAND_TIMEOUT} s: {command}")
            chunk = os.read(self.process.stdout.fileno(), 65536)
            if not chunk:
                raise RuntimeError(f"the shell exited during: {command}")
            output += chunk
        return output[: found.start()].decode(errors="replace"), int(found[1])

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream:
                stream.close()


class Revisions:
    """Revision ids that commands generate, matched to those the document shows."""

    def __init__(self, known: set[str]) -> None:
        self.known = known
        self.seen: dict[str, str] = {}  # generated here -> shown in the document

    def command(self, text: str) -> str:
        """The command as it must run here: with the ids generated here, not the shown."""
        for generated, documented in self.seen.items():
            text = text.replace(documented, generated)
        return text

    def match(self, actual: str, expected: str) -> str:
        new_here = [rev for rev in unique_ids(actual) if rev not in self.known]
        shown = [rev for rev in unique_ids(expected) if rev not in self.known]
        for rev in new_here:
            if rev not in self.seen:
                taken = set(self.seen.values())
                free = [name for name in shown if name not in taken]
                if free:
                    self.seen[rev] = free[0]
        for generated, documented in self.seen.items():
            actual = actual.replace(generated, documented)
        return actual


def unique_ids(text: str) -> list[str]:
    return list(dict.fromkeys(REVISION_ID.findall(text)))


def normalize(text: str, root: Path) -> str:
    text = text.replace(str(root), DOCUMENTED_ROOT)
    for pattern in VARYING:
        text = pattern.sub("<time>", text)
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def matches(expected: str, actual: str) -> bool:
    """Whether `actual` is `expected`, with `...` read as the document's wildcard."""
    parts = []
    for line in expected.split("\n"):
        if line.strip() == "...":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(".*?".join(map(re.escape, line.split("..."))) + "\n")
    return re.fullmatch("".join(parts), actual + "\n") is not None


def known_revisions(root: Path) -> set[str]:
    names = (root / "migrations" / "versions").glob("*.py")
    return {rev for path in names for rev in REVISION_ID.findall(path.name)}


@dataclass
class Mismatch:
    where: str
    diff: str

    def __str__(self) -> str:
        return f"{self.where}: the output differs from the document\n{self.diff}"


def replay(path: Path, destination: Path) -> tuple[list[Mismatch], list[str]]:
    """Run every block of one document in a fresh scratch copy; what did not match, and
    the blocks not run with their reasons."""
    root = scratch_copy(destination)
    shell = Shell(root)
    revisions = Revisions(known_revisions(root))
    mismatches: list[Mismatch] = []
    not_run: list[str] = []
    name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    try:
        for block in read_blocks(path):
            if block.not_run is not None:
                not_run.append(f"{name}:{block.line}: {block.not_run}")
                continue
            for command in block.setup:
                output, status = shell.run(command)
                if status:
                    where = f"{name}:{block.line}"
                    raise AssertionError(f"{where}: setup `{command}` failed:\n{output}")
            for command in block.commands:
                output, _ = shell.run(revisions.command(command.text))
                expected = normalize("\n".join(command.expected), root)
                actual = normalize(revisions.match(output, "\n".join(command.expected)), root)
                if not matches(expected, actual):
                    diff = difflib.unified_diff(
                        expected.splitlines(),
                        actual.splitlines(),
                        "document",
                        "output",
                        lineterm="",
                    )
                    where = f"{name}:{command.line}: $ {command.text}"
                    mismatches.append(Mismatch(where, "\n".join(diff)))
    finally:
        shell.close()
    return mismatches, not_run
