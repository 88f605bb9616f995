"""Adapter: the `EventBus` port over a boto3 EventBridge (`events`) client."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from functions.producer.bus import EventBusError, is_retryable


class EventBridgeBus:
    """Sends PutEvents through a boto3 `events` client and turns botocore errors into `EventBusError`.

    The client keeps its own SDK retries; the publisher's retries add per-entry retries on top (PutEvents reports
    partial failures in a 200 response, which the SDK never retries).
    """

    def __init__(self, client: Any) -> None:
        self._client = client

    @classmethod
    def create(cls, *, region_name: str | None = None, endpoint_url: str | None = None) -> EventBridgeBus:
        """A bus over a new boto3 client; `endpoint_url` points it at a local endpoint."""
        import boto3  # imported here so that importing this module does not build a session

        return cls(boto3.client("events", region_name=region_name, endpoint_url=endpoint_url))

    def put_events(self, entries: list[dict[str, Any]]) -> dict[str, Any]:
        """PutEvents with `entries`; returns `FailedEntryCount` and `Entries` in the order of `entries`."""
        try:
            response = self._client.put_events(Entries=entries)
        except ClientError as error:
            details = error.response.get("Error", {})
            code = str(details.get("Code") or "ClientError")
            status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            raise EventBusError(
                code, str(details.get("Message") or error), retryable=is_retryable(code) or status >= 500
            ) from error
        except (BotoConnectionError, HTTPClientError) as error:
            # Endpoint unreachable, connection reset, timeouts: the call may succeed on another attempt.
            raise EventBusError(type(error).__name__, str(error), retryable=True) from error
        except BotoCoreError as error:
            # Missing credentials, invalid parameters: no retry can fix these.
            raise EventBusError(type(error).__name__, str(error), retryable=False) from error
        return {
            "FailedEntryCount": int(response.get("FailedEntryCount", 0)),
            "Entries": list(response.get("Entries", [])),
        }
