"""The HTTP API's OpenAPI document, generated from the resolver's routes and models (never written by hand).

    python -m functions.control_api.openapi      # `make openapi`: rewrites openapi/control-api.json

The committed file is what clients and reviewers read; tests/control/test_http_api.py fails when it differs from
what the code generates, so it cannot drift.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn

from functions.control_api.handler import app

DOCUMENT: Final = Path(__file__).resolve().parents[2] / "openapi" / "control-api.json"
TITLE: Final = "Orchestrator control plane"
VERSION: Final = "1.0.0"
DESCRIPTION: Final = (
    "The `orch` CLI's operations over HTTP: list, describe, history, start and terminate executions; decide "
    "approvals and answer agent tasks by business key; list, reset and force open circuit breakers; the stage's "
    "configuration; workflow pictures. Every method takes IAM authorization: sign requests with SigV4 "
    "(service `execute-api`). Errors are JSON `{message, field?}`: 400 invalid input (naming the field), 404 not "
    "found, 409 conflict, 502/503 when AWS fails or cannot be reached."
)


def document() -> str:
    """The OpenAPI document as the committed file holds it (sorted keys, two-space indent, final newline)."""
    generated = app.get_openapi_json_schema(
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION,
        security_schemes={
            "sigv4": APIKey(
                name="Authorization",
                in_=APIKeyIn.header,
                description="AWS Signature Version 4 (API Gateway IAM authorization)",
                openapi_extensions={"x-amazon-apigateway-authtype": "awsSigv4"},
            )
        },
        security=[{"sigv4": []}],
    )
    return json.dumps(json.loads(generated), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    DOCUMENT.parent.mkdir(exist_ok=True)
    DOCUMENT.write_text(document(), encoding="utf-8")
    print(f"wrote {DOCUMENT.relative_to(DOCUMENT.parents[1])}")


if __name__ == "__main__":
    main()
