"""Adapters of the appender's ports: the EventStore table (a put conditional on the event id) and Step Functions'
tags, which tell the stage's state machines from others (every resource of the app carries its `stage` tag, the same
mark the control plane's discovery goes by)."""

from __future__ import annotations

from typing import Any, Final

from botocore.exceptions import ClientError

from functions.event_store import PARTITION_KEY
from functions.event_store.logic import EventRecord

STAGE_TAG: Final = "stage"


class DynamoDBEventStore:
    """Records in a boto3 DynamoDB Table resource, each written once."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def append(self, record: EventRecord) -> bool:
        try:
            self._table.put_item(Item=record.item(), ConditionExpression=f"attribute_not_exists({PARTITION_KEY})")
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True


class TaggedWorkflows:
    """A state machine is this stage's when its `stage` tag says so; the answer is kept for the function's life
    (tags of a deployed state machine do not move between stages)."""

    def __init__(self, stepfunctions: Any, stage: str) -> None:
        self._sfn = stepfunctions
        self._stage = stage
        self._known: dict[str, bool] = {}

    def of_this_stage(self, state_machine_arn: str) -> bool:
        if not state_machine_arn:
            return False
        if state_machine_arn not in self._known:
            try:
                tags = self._sfn.list_tags_for_resource(resourceArn=state_machine_arn).get("tags", [])
            except ClientError as error:
                if error.response["Error"]["Code"] != "ResourceNotFound":
                    raise
                tags = []  # deleted since: not one of ours any more
            self._known[state_machine_arn] = any(
                tag.get("key") == STAGE_TAG and tag.get("value") == self._stage for tag in tags
            )
        return self._known[state_machine_arn]
