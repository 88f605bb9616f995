"""Records on a saga service's DynamoDB table (partition key `pk`): written once per key, read back, given a status.

Every service of the order saga keeps its records the same way, each in its own table and behind its own port
(functions/*/dynamodb.py); this is the DynamoDB part they share. A put is conditional, so a retried call finds what
its first attempt stored instead of writing twice; DynamoDB's throttling becomes the service's own retryable error.
"""

from __future__ import annotations

from typing import Annotated, Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from schemas.envelope import Identifier, NonEmptyStr

# The idempotency key of one call of the saga to a service: `<saga_key>:<step>`, the OrderPlaced envelope's key (at
# most 256 characters) and the step. Never empty: Powertools would have no key to hash, and its error names no field.
CallKey = Annotated[str, StringConstraints(min_length=1, max_length=300)]


class SagaServiceSettings(BaseModel):
    """A saga service function's settings: its own table and the Idempotency table (`load_settings` reads them)."""

    table_name: str = Field(min_length=1)
    idempotency_table: str = Field(min_length=1)


class SagaCall(BaseModel):
    """What every call of the order saga to one of its services carries (each request adds its `action`)."""

    model_config = ConfigDict(extra="forbid")

    idempotency_key: CallKey  # this call's: the saga's key and the step (`<saga_key>:<action>`)
    saga_key: NonEmptyStr  # the OrderPlaced envelope's idempotency key: this service's record of the saga
    correlation_id: Identifier | None = None  # the order's, for the log lines (functions/log_context.py)


# What DynamoDB answers when it cannot serve now (after botocore's own retries): worth another try later.
TRANSIENT_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "InternalServerError"}
)


class Records:
    """Items under `{prefix}#{key}` in `table`; `unavailable` is what a transient DynamoDB error becomes."""

    def __init__(self, table: Any, prefix: str, unavailable: type[Exception]) -> None:
        self._table = table  # a boto3 DynamoDB Table resource
        self._prefix = prefix
        self._unavailable = unavailable

    def pk(self, key: str) -> str:
        return f"{self._prefix}#{key}"

    def put_new(self, key: str, attributes: dict[str, Any] | None = None) -> bool:
        """A conditional put: False when an item with that key is there already."""
        item = {"pk": self.pk(key), **(attributes or {})}
        try:
            self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise self._translated(error) from error
        return True

    def put_once(self, key: str, attributes: dict[str, Any]) -> dict[str, Any] | None:
        """Stores the record unless one with that key is there: None when stored, else the record already there."""
        if self.put_new(key, attributes):
            return None
        stored = self.get(key)  # another attempt of the same call stored it first
        assert stored is not None
        return stored

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            item: dict[str, Any] | None = self._table.get_item(Key={"pk": self.pk(key)}, ConsistentRead=True).get(
                "Item"
            )
        except ClientError as error:
            raise self._translated(error) from error
        return item

    def set_status(self, key: str, status: str) -> None:
        """The record's status becomes `status`; the record must exist."""
        try:
            self._table.update_item(
                Key={"pk": self.pk(key)},
                UpdateExpression="SET #status = :status",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":status": status},
            )
        except ClientError as error:
            raise self._translated(error) from error

    def _translated(self, error: Exception) -> Exception:
        """Throttling becomes the error the saga retries; anything else stays what it is."""
        if isinstance(error, ClientError) and error.response["Error"]["Code"] in TRANSIENT_CODES:
            return self._unavailable(str(error))
        return error
