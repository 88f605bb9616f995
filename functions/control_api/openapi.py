"""The HTTP API's OpenAPI document, generated from the resolver's routes and models (never written by hand).

    python -m functions.control_api.openapi      # `make openapi`: rewrites openapi/control-api.json

The committed file is what clients and reviewers read; tests/control/test_http_api.py fails when it differs from
what the code generates, so it cannot drift.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Final

from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn

from functions.control_api.handler import app

DOCUMENT: Final = Path(__file__).resolve().parents[2] / "openapi" / "control-api.json"
TITLE: Final = "Orchestrator control plane"
VERSION: Final = "1.0.0"
DESCRIPTION: Final = (
    "The `orch` CLI's operations over HTTP: list, describe, history, start, pause, resume and terminate "
    "executions; decide approvals and answer agent tasks by business key; list, reset and force open circuit "
    "breakers; the stage's configuration; workflow pictures. Every method takes IAM authorization: sign requests "
    "with SigV4 (service `execute-api`). Who acts (`paused_by`, `resumed_by`, `decided_by`) is the signer's IAM "
    "identity from the request context, never the body: a body naming one of those fields is refused with 400. "
    "Breakers are those the stage's workflows define (404 for any other, nothing written). Errors are JSON "
    "`{message, field?}`: 400 invalid input (naming the field; non-finite numbers such as NaN or 1e999 and integers "
    "of more than 4,300 digits included), 404 not found, 409 conflict, 502/503 when AWS fails or cannot be reached "
    "(naming AWS's error code only, never its message)."
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
    return json.dumps(_without_422(json.loads(generated)), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _without_422(document: dict[str, Any]) -> dict[str, Any]:
    """Powertools lists a 422 on every route that validates a request, but the handler answers a request that fails
    validation with 400 naming the field (`invalid_request`): the 422s go, and with them the schemas no route uses."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            operation.get("responses", {}).pop("422", None)
    schemas = document.get("components", {}).get("schemas", {})
    used: set[str] = set()
    pending = _references(document.get("paths", {}))
    while pending:
        name = pending.pop()
        if name not in used:
            used.add(name)
            pending |= _references(schemas.get(name, {}))
    for name in set(schemas) - used:
        del schemas[name]
    return document


def _references(part: Any) -> set[str]:
    """The component schemas `part` refers to directly."""
    return set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(part)))


def main() -> None:
    DOCUMENT.parent.mkdir(exist_ok=True)
    DOCUMENT.write_text(document(), encoding="utf-8")
    print(f"wrote {DOCUMENT.relative_to(DOCUMENT.parents[1])}")


if __name__ == "__main__":
    main()
