"""Schemathesis against the live API, from its own OpenAPI document: every operation, with a
valid token, fed generated input, valid and invalid. No response may be a 5xx, and every one
must be documented: its status, headers, content type and body.

Bounded for CI: a fixed number of examples per operation and mode, derandomized so every run
sends the same requests (a failure reproduces), on every engine. (Schemathesis's own pytest
integration cannot collect under pytest 9, so each operation is a parametrized test here,
running Hypothesis on the operation's strategy.)
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import content_type_conformance
from schemathesis.specs.openapi.checks import response_headers_conformance
from schemathesis.specs.openapi.checks import response_schema_conformance
from schemathesis.specs.openapi.checks import status_code_conformance

from blog.models import Category
from blog.models import Post
from tests.helpers import PASSWORD
from tests.helpers import api_document
from tests.helpers import basic

# The fuzzer sends thousands of requests from one address: past the limits, it would test
# only the 429 (tests/test_rate_limits.py does that), not the logic behind each operation.
pytestmark = pytest.mark.options(
    WRITE_RATE_LIMIT="100000 per minute",
    SIGN_IN_RATE_LIMIT="100000 per minute",
    SIGN_IN_FAILURES_PER_ADDRESS="100000 per minute",
    SIGN_IN_FAILURES_PER_NAME_AND_ADDRESS="100000 per minute",
    SIGN_IN_FAILURES_PER_NAME="100000 per minute",
)
DERANDOMIZE = os.environ.get("FUZZ_RANDOM") != "1"
EXAMPLES = 25  # per operation and mode
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def operations() -> list:
    """Every operation in both modes; invalid input only where there is input to spoil."""
    cases = []
    for path, item in api_document()["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            has_input = "requestBody" in operation or operation.get("parameters") or "{" in path
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                if has_input or mode is GenerationMode.POSITIVE:
                    label = f"{method.upper()} {path} {mode.value}"
                    cases.append(pytest.param(method.upper(), path, mode, id=label))
    return cases


@pytest.fixture
def live_api(site, client, make_user, save):
    """The app on a loopback port, with a few rows for the ids to find, and ada's token."""
    account = make_user("ada")
    [category] = save(Category(name="Python"))
    save(
        Post(title="First", body="# one", category_id=category, author_id=account.id),
        Post(title="Second", body="two"),
    )
    token = client.post("/api/tokens", headers=basic(account.name, account.password)).json
    return schemathesis.openapi.from_url(f"{site}/api/openapi.json"), token["token"]


@pytest.mark.parametrize(("method", "path", "mode"), operations())
def test_every_operation_answers_as_documented(live_api, method, path, mode):
    schema, token = live_api
    operation = schema[path][method]
    headers = {"Authorization": f"Bearer {token}"}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=DERANDOMIZE,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def answers_as_documented(case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    answers_as_documented()


# Schemathesis's command line, with every check. The in-suite tests above choose their
# checks; this runs all of them, its stateful phase (linked operations) included, as a user
# of the document would. Bounded: a fixed number of examples per operation, a fixed seed
# (FUZZ_RANDOM=1 for a fresh one), and a timeout.
CLI_EXAMPLES = 40
CLI_TIMEOUT_SECONDS = 300
CLI_CONFIG = Path(__file__).with_name("schemathesis.toml")


@pytest.mark.engines("sqlite", "postgresql")
def test_schemathesis_command_line_with_every_check_finds_nothing(live_api, site, tmp_path):
    _, token = live_api
    seed = [] if not DERANDOMIZE else ["--seed", "1"]
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(CLI_CONFIG),
        "run",
        f"{site}/api/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(CLI_EXAMPLES),
        "--no-color",
        *seed,
    ]
    environment = {
        **os.environ,
        "FUZZ_NAME": "ada",
        "FUZZ_PASSWORD": PASSWORD,
        "FUZZ_TOKEN": token,
    }
    run = subprocess.run(
        command,
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_SECONDS,
        stdin=subprocess.DEVNULL,
    )
    report = run.stdout[-6000:]
    assert run.returncode == 0, report
    # Every operation was tested, but for the one the configuration leaves out.
    selected, total = re.search(r"Operations: +(\d+) selected / (\d+) total", report).groups()
    assert int(selected) == int(total) - 1
    assert f"Tested: {selected}\n" in report, report
