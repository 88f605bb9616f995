"""What a handler's cold start imports: each handler module alone in a fresh interpreter, as Lambda imports it.

Powertools' batch utility imports all of its parser models (tens of milliseconds) when pydantic is already imported
at the time; every SQS consumer names the utility's answer type before its pydantic imports so that it does not
(functions/agents/consumer.py). An import order is easy to undo by a reshuffle: this fails when one does.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The SQS consumers: the handler modules that use the shared consumer, directly or through the agent kit. (Only they
# import the batch utility; a fresh interpreter for every handler would cost the fast tier seconds for nothing.)
CONSUMERS = sorted(
    ".".join(path.relative_to(ROOT).with_suffix("").parts)
    for path in (ROOT / "functions").glob("*/handler.py")
    if "functions.agents.consumer import" in (text := path.read_text(encoding="utf-8"))
    or "functions.agents.kit import" in text
)
PARSER_MODELS = "aws_lambda_powertools.utilities.parser.models"
_CHILD = f"import importlib, sys; importlib.import_module(sys.argv[1]); print({PARSER_MODELS!r} in sys.modules)"


def test_the_consumers_are_found() -> None:
    assert {"functions.agents.handler", "functions.callback.handler", "functions.event_store.handler"} <= set(CONSUMERS)


@pytest.mark.parametrize("module", CONSUMERS)
def test_a_handler_module_loads_no_powertools_parser_model(module: str) -> None:
    environment = {"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, module], cwd=ROOT, env=environment, capture_output=True, text=True, check=False
    )

    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "False", f"{module} imported {PARSER_MODELS} (batch utility after pydantic?)"
