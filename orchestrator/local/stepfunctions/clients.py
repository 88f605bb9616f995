"""Service-integration clients shared: moto 5.2.5 builds a new boto3 client (`boto_client_for`) for every task that
calls a service (SQS, EventBridge, DynamoDB, Lambda, the AWS SDK integrations...), about 16 ms each.

boto3 clients are thread-safe, so the executions' threads share one per service, region and endpoint for as long as
the seams are installed. The task's credentials are not part of the key: moto ignores them and signs every call with
the same fixed keys. Clients are built one at a time: building one from boto3's default session is not thread-safe.
"""

from __future__ import annotations

import threading
from typing import Any

from orchestrator.local import seams
from orchestrator.local.seams import SeamSet
from orchestrator.local.seams import stepfunctions as declared


def bind_shared_clients(seam_set: SeamSet) -> None:
    """Binds the shared clients into `seam_set`: a store of its own, dropped with the seams."""
    build = seams.read("moto.stepfunctions.parser.asl.utils.boto_client.boto_client_for")
    stubber = seams.read("moto.core.models.botocore_stubber")
    server_port = seams.read("moto.settings.moto_server_port")
    clients: dict[tuple[str, str, str | None], Any] = {}
    building = threading.Lock()

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        # moto's own choice of endpoint: in process while mock_aws intercepts, else the moto server.
        endpoint = None if stubber.enabled else f"http://localhost:{server_port()}"
        key = (service, region, endpoint)
        with building:
            if key not in clients:
                clients[key] = build(region, service, state_credentials)
            return clients[key]

    for seam in declared.SHARED_SERVICE_CLIENTS:
        seam_set.replace(seam, boto_client_for)
