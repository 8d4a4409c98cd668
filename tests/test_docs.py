"""The documents' shell transcripts, replayed: a block that no longer matches fails with a
diff (tests/transcripts.py says how blocks are read and what is normalized)."""

import re

import pytest

from tests.transcripts import DOCUMENTS
from tests.transcripts import ROOT
from tests.transcripts import matches
from tests.transcripts import read_blocks
from tests.transcripts import replay


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_transcripts_match(path, tmp_path, record_property):
    mismatches, not_run = replay(path, tmp_path)
    for block in not_run:
        record_property("transcript_not_run", block)
    assert not mismatches, "\n\n".join(map(str, mismatches))


def test_every_document_is_replayed_and_has_a_transcript():
    """A new page under docs/ is picked up; the README's walk-through is there to run."""
    names = {path.relative_to(ROOT).as_posix() for path in DOCUMENTS}
    assert "README.md" in names
    assert any(block.commands for block in read_blocks(ROOT / "README.md"))


@pytest.mark.parametrize(
    ("expected", "actual", "wanted"),
    [
        ("a\nb", "a\nb", True),
        ("a\nb", "a\nc", False),
        ("x ... z", "x anything at all z", True),
        ("x ... z", "x y", False),
        ("a\n...\nd", "a\nb\nc\nd", True),
        ("a\n...\nd", "a\nd", True),
        ("a\n...", "a", True),
        ("a", "a\nb", False),
        ("", "", True),
        ("", "output", False),
    ],
)
def test_the_wildcard(expected, actual, wanted):
    assert matches(expected, actual) is wanted


SAMPLE = """\
A transcript that matches, one that does not, one not run, and a hidden step:

```console
$ pwd
/path/to/blog
$ date -u +%Y-%m-%d && echo generated 0123456789ab
<time>
generated fedcba987654
$ echo fedcba987654 again
fedcba987654 again
```

```console
$ echo hello
hullo
```

<!-- transcript: not run: needs a production server -->
```console
$ pg_dump production
```

<!-- transcript: $ echo secret > hidden.txt -->
```console
$ cat hidden.txt
secret
```
"""


def test_a_replay_reports_what_differs_and_what_it_did_not_run(tmp_path):
    document = tmp_path / "sample.md"
    document.write_text(SAMPLE)
    (tmp_path / "scratch").mkdir()
    mismatches, not_run = replay(document, tmp_path / "scratch")
    assert [mismatch.where for mismatch in mismatches] == ["sample.md:14: $ echo hello"]
    assert "-hullo\n+hello" in mismatches[0].diff
    assert not_run == ["sample.md:19: needs a production server"]


LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives a document's headings: lower case, punctuation dropped,
    spaces as dashes."""
    return {
        re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in markdown.splitlines()
        if line.startswith("#")
    }


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_links_between_documents_lead_somewhere(path):
    text = path.read_text()
    broken = []
    for link in LINK.findall(text):
        if link.startswith(("http://", "https://", "mailto:")):
            continue
        target, _, anchor = link.partition("#")
        document = (path.parent / target).resolve() if target else path
        if not document.exists():
            broken.append(f"{link}: no such file")
        elif anchor and document.suffix == ".md" and anchor not in anchors(document.read_text()):
            broken.append(f"{link}: no heading #{anchor} in {document.name}")
    assert not broken, f"{path.name}: " + "; ".join(broken)
