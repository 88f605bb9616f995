"""The `Claims` port on the Idempotency table (partition key `id`): both claims of a start in one transaction."""

from __future__ import annotations

import datetime
from typing import Any

from botocore.exceptions import ClientError

from functions.admission.logic import ClaimConflict, claim_key, key_claim_key
from functions.records import TRANSIENT_CODES


class ClaimsUnavailable(Exception):
    """DynamoDB could not serve now (throttled, an internal error): the workflow's Retry tries again."""


class DynamoDBClaims:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client  # a boto3 DynamoDB client
        self._table = table_name

    def claim(self, workflow: str, business_id: str, idempotency_key: str, execution: str) -> None:
        now = datetime.datetime.now(datetime.UTC).isoformat()
        common = {"execution_arn": {"S": execution}, "claimed_at": {"S": now}, "business_id": {"S": business_id}}
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": {
                                "id": {"S": claim_key(workflow, business_id)},
                                "status": {"S": "CLAIMED"},
                                "idempotency_key": {"S": idempotency_key},
                                **common,
                            },
                            # Or this execution's own claim: a retried invocation, a redrive.
                            "ConditionExpression": "attribute_not_exists(id) OR execution_arn = :me",
                            "ExpressionAttributeValues": {":me": {"S": execution}},
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": {"id": {"S": key_claim_key(workflow, idempotency_key)}, **common},
                            "ConditionExpression": "attribute_not_exists(id) OR business_id = :business",
                            "ExpressionAttributeValues": {":business": {"S": business_id}},
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                        }
                    },
                ]
            )
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code == "TransactionCanceledException":
                raise _conflict(error.response.get("CancellationReasons", [])) from None
            if code in TRANSIENT_CODES:
                raise ClaimsUnavailable(str(error)) from error
            raise


def _conflict(reasons: list[dict[str, Any]]) -> Exception:
    codes = [reason.get("Code") for reason in reasons]
    if codes.count("ConditionalCheckFailed") == 0:
        return ClaimsUnavailable(f"the claim transaction was cancelled: {codes}")  # a conflict of transactions
    key_reason = reasons[1] if len(reasons) > 1 else {}
    key_taken_by = None
    if key_reason.get("Code") == "ConditionalCheckFailed":
        key_taken_by = str(key_reason.get("Item", {}).get("business_id", {}).get("S", "another business id"))
    return ClaimConflict(business_id_taken=codes[0] == "ConditionalCheckFailed", key_taken_by=key_taken_by)
