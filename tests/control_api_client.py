"""The control plane's HTTP API as API Gateway calls it: its function invoked through the local runtime's Lambda
Invoke, so it runs from its own asset, with the environment and role the Control stack gives it, beside the other
handlers the runtime runs (never in-process next to them, where their environments would be its)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from orchestrator.local.cloud import LocalCloud
from tests.builders import api_request


@dataclass(frozen=True)
class Reply:
    status: int
    body: str
    content_type: str

    def json(self) -> Any:
        return json.loads(self.body)


class ControlApi:
    """`call(method, path, body, query)` -> the function's HTTP answer."""

    def __init__(self, cloud: LocalCloud) -> None:
        self._lambda = cloud.client("lambda")
        self._name = cloud.physical_id("AWS::Lambda::Function", "ControlApi")

    def event(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: dict[str, str] | None = None,
        identity: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """The proxy event API Gateway sends for an IAM-signed request: `requestContext.identity` is the signer's
        (`api_request`'s caller unless `identity` says otherwise; `{}` for a request that carries none)."""
        event = api_request(None if body is None else json.dumps(body), method=method, path=path)
        if identity is not None:
            event["requestContext"]["identity"] = identity
        if query:
            event["queryStringParameters"] = query
            event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
        return event

    def __call__(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: dict[str, str] | None = None,
        identity: dict[str, str] | None = None,
    ) -> Reply:
        payload = json.dumps(self.event(method, path, body, query, identity)).encode()
        answer = self._lambda.invoke(FunctionName=self._name, Payload=payload)
        response = json.loads(answer["Payload"].read())
        assert "FunctionError" not in answer, response
        headers = response.get("multiValueHeaders") or {}
        content_type = (headers.get("Content-Type") or [""])[0]
        return Reply(response["statusCode"], response["body"], content_type)


def execution_path(arn: str, suffix: str = "") -> str:
    return f"/executions/{quote(arn, safe='')}{suffix}"
