"""What IAM evaluates for an API call: its action, the resources it acts on, and the request's condition keys.

`authorizations(call)` turns one boto3 call (service, operation, parameters) into the requests AWS authorizes for
it, as the Service Authorization Reference documents them per action: the action (`dynamodb:GetItem`), the resource
ARN(s) (`table/<name>`; a call on several resources, or a batch or a transaction, is one request per resource or
item, and is allowed only if every one is), and the condition keys the app's policies use (`dynamodb:LeadingKeys`,
`events:source`, `events:detail-type`, `cloudwatch:namespace`). An action without resource-level permissions is
evaluated on `*`. A few calls need no permission at all (`sts:GetCallerIdentity`): none is returned.

Only the operations this project's code calls as a principal (handlers and state machines) are known; any other
raises `UnknownOperationError` naming it, so a new call is added here rather than let through unchecked.
Operators (the `orch` CLI, the AWS CLI) are not evaluated (see enforcement.py), so their calls need no entry.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol


class UnknownOperationError(LookupError):
    """A principal called an operation the local runtime does not know how AWS authorizes."""


class Lookups(Protocol):
    """What the mapping needs to read from the local cloud."""

    def partition_key(self, table_name: str) -> str | None:
        """The table's partition key attribute (None: no such table)."""

    def state_machine_of_token(self, task_token: str) -> str | None:
        """The state machine whose running execution issued the task token (None: no such token)."""


@dataclass(frozen=True)
class Call:
    service: str  # the IAM service prefix: dynamodb, events, states, lambda, sqs, sns, cloudwatch, ...
    operation: str  # as in the API: GetItem
    params: Mapping[str, Any]
    region: str
    account: str


@dataclass(frozen=True)
class Authorization:
    """One request IAM evaluates for a call."""

    action: str
    resource: str
    context: Mapping[str, str | Sequence[str]] = field(default_factory=dict)


Mapper = Callable[[Call, Lookups], Iterator[Authorization]]
ANY_RESOURCE: Final = "*"
# botocore's service name where it is not the IAM prefix.
IAM_PREFIXES: Final = {"stepfunctions": "states", "monitoring": "cloudwatch"}
# Calls AWS answers for anyone with valid credentials.
NO_PERMISSION_NEEDED: Final = {("sts", "GetCallerIdentity")}


def authorizations(call: Call, lookups: Lookups) -> list[Authorization]:
    """The requests IAM evaluates for `call` (empty: it needs no permission)."""
    if (call.service, call.operation) in NO_PERMISSION_NEEDED:
        return []
    mapper = _MAPPERS.get((call.service, call.operation))
    if mapper is None:
        raise UnknownOperationError(
            f"{call.service}:{call.operation}: the local runtime does not know how AWS authorizes it; "
            "add it to orchestrator/local/iam/requests.py"
        )
    return list(mapper(call, lookups))


# -- ARNs ------------------------------------------------------------------------------------------------------


def _arn(call: Call, service: str, resource: str) -> str:
    return f"arn:aws:{service}:{call.region}:{call.account}:{resource}"


def _name_or_arn(call: Call, service: str, kind: str, value: str) -> str:
    return value if value.startswith("arn:") else _arn(call, service, f"{kind}/{value}")


# -- DynamoDB ----------------------------------------------------------------------------------------------------


def _table(call: Call, name: str, index: str | None = None) -> str:
    table = name if name.startswith("arn:") else _arn(call, "dynamodb", f"table/{name}")
    return f"{table}/index/{index}" if index else table


def _table_name(name: str) -> str:
    return name.rsplit("/", 1)[-1] if name.startswith("arn:") else name


def _leading_keys(lookups: Lookups, table: str, key: Mapping[str, Any] | None) -> dict[str, list[str]]:
    """`dynamodb:LeadingKeys`: the partition key values the request names (as strings), when it names a key."""
    attribute = lookups.partition_key(_table_name(table))
    if attribute is None or not key or attribute not in key:
        return {}
    value = key[attribute]
    text = next(iter(value.values())) if isinstance(value, Mapping) else value
    return {"dynamodb:LeadingKeys": [str(text)]}


def _item_action(action: str, key_param: str) -> Mapper:
    def mapper(call: Call, lookups: Lookups) -> Iterator[Authorization]:
        table = call.params["TableName"]
        yield Authorization(
            f"dynamodb:{action}", _table(call, table), _leading_keys(lookups, table, call.params.get(key_param))
        )

    return mapper


def _query(call: Call, lookups: Lookups) -> Iterator[Authorization]:
    """A Query names its partition key value in its key condition: `pk = :v` (or boto3's `Key("pk").eq(v)`, which
    reaches the SDK's call as a condition object, built into the expression only later in the call)."""
    table = call.params["TableName"]
    context: dict[str, list[str]] = {}
    attribute = lookups.partition_key(_table_name(table))
    expression = call.params.get("KeyConditionExpression")
    names = dict(call.params.get("ExpressionAttributeNames", {}))
    values = dict(call.params.get("ExpressionAttributeValues", {}))
    if expression is not None and not isinstance(expression, str):
        from boto3.dynamodb.conditions import ConditionExpressionBuilder

        built = ConditionExpressionBuilder().build_expression(expression, is_key_condition=True)
        expression = built.condition_expression
        names |= built.attribute_name_placeholders
        values |= built.attribute_value_placeholders
    if attribute is not None and expression and not call.params.get("IndexName"):
        placeholders = [n for n, a in names.items() if a == attribute] + [attribute]
        for placeholder in placeholders:
            found = re.search(rf"(?:^|[\s(]){re.escape(placeholder)}\s*=\s*(:\w+)", expression)
            if found and found.group(1) in values:
                context = _leading_keys(lookups, table, {attribute: values[found.group(1)]})
                break
    yield Authorization("dynamodb:Query", _table(call, table, call.params.get("IndexName")), context)


def _scan(call: Call, lookups: Lookups) -> Iterator[Authorization]:
    yield Authorization("dynamodb:Scan", _table(call, call.params["TableName"], call.params.get("IndexName")))


_TRANSACT_ACTIONS: Final = {"ConditionCheck": "ConditionCheckItem", "Put": "PutItem", "Update": "UpdateItem",
                            "Delete": "DeleteItem", "Get": "GetItem"}  # fmt: skip


def _transaction(call: Call, lookups: Lookups) -> Iterator[Authorization]:
    """Each item of a transaction is authorized as the item action it is (TransactWriteItems / TransactGetItems)."""
    for item in call.params["TransactItems"]:
        ((kind, body),) = item.items()
        key = body.get("Key") or body.get("Item")
        table = body["TableName"]
        yield Authorization(
            f"dynamodb:{_TRANSACT_ACTIONS[kind]}", _table(call, table), _leading_keys(lookups, table, key)
        )


def _batch_get(call: Call, lookups: Lookups) -> Iterator[Authorization]:
    for table, request in call.params["RequestItems"].items():
        for key in request.get("Keys", []):
            yield Authorization("dynamodb:BatchGetItem", _table(call, table), _leading_keys(lookups, table, key))


def _batch_write(call: Call, lookups: Lookups) -> Iterator[Authorization]:
    for table, requests in call.params["RequestItems"].items():
        for request in requests:
            ((_, body),) = request.items()
            key = body.get("Key") or body.get("Item")
            yield Authorization("dynamodb:BatchWriteItem", _table(call, table), _leading_keys(lookups, table, key))


def _describe_table(call: Call, lookups: Lookups) -> Iterator[Authorization]:
    yield Authorization("dynamodb:DescribeTable", _table(call, call.params["TableName"]))


# -- EventBridge -------------------------------------------------------------------------------------------------


def _bus(call: Call, name: str | None) -> str:
    return _name_or_arn(call, "events", "event-bus", name or "default")


def _put_events(call: Call, lookups: Lookups) -> Iterator[Authorization]:
    """One request per entry: its bus, its source and detail type (the keys PutEvents policies condition on)."""
    for entry in call.params["Entries"]:
        context = {
            "events:source": str(entry.get("Source", "")),
            "events:detail-type": str(entry.get("DetailType", "")),
        }
        yield Authorization("events:PutEvents", _bus(call, entry.get("EventBusName")), context)


def _events_on(action: str, resource: Callable[[Call], str]) -> Mapper:
    def mapper(call: Call, lookups: Lookups) -> Iterator[Authorization]:
        yield Authorization(f"events:{action}", resource(call))

    return mapper


def _archive(call: Call) -> str:
    return _name_or_arn(call, "events", "archive", call.params["ArchiveName"])


def _replay(call: Call) -> str:
    return _name_or_arn(call, "events", "replay", call.params["ReplayName"])


def _start_replay(call: Call, lookups: Lookups) -> Iterator[Authorization]:
    # StartReplay is authorized on the archive it replays from (and the replay it creates).
    yield Authorization("events:StartReplay", call.params["EventSourceArn"])
    yield Authorization("events:StartReplay", _replay(call))


# -- Step Functions ----------------------------------------------------------------------------------------------


def _states_on(action: str, parameter: str) -> Mapper:
    def mapper(call: Call, lookups: Lookups) -> Iterator[Authorization]:
        yield authorization_on(f"states:{action}", str(call.params[parameter]))

    return mapper


def split_qualifier(arn: str) -> tuple[str, str] | None:
    """(state machine ARN, version number or alias name) of a version's or an alias's ARN
    (`...:stateMachine:<name>:<qualifier>`); None for any other ARN, a state machine's own included."""
    parts = arn.split(":")
    if len(parts) == 8 and parts[5] == "stateMachine":
        return ":".join(parts[:7]), parts[7]
    return None


def authorization_on(action: str, arn: str) -> Authorization:
    """The request IAM evaluates for `action` on `arn`. Step Functions authorizes a call on a version or an alias on
    the state machine's own ARN, the qualifier being `states:StateMachineQualifier` (developer guide, "Authorization
    for versions and aliases in Step Functions workflows": "Step Functions uses the state machine's ARN instead of
    using the version ARN or alias ARN"): a grant on the machine's ARN allows a start through any of its aliases,
    one on an alias's ARN allows nothing. Any other ARN (an execution's, a queue's) is its own resource."""
    qualified = split_qualifier(arn)
    if qualified is not None:
        machine, qualifier = qualified
        return Authorization(action, machine, {"states:StateMachineQualifier": qualifier})
    return Authorization(action, arn)


def _task_response(action: str) -> Mapper:
    """SendTask*: authorized on the state machine whose execution issued the token. A token no running execution
    issued is left to the service, which answers it does not exist."""

    def mapper(call: Call, lookups: Lookups) -> Iterator[Authorization]:
        machine = lookups.state_machine_of_token(str(call.params["taskToken"]))
        if machine is not None:
            yield Authorization(f"states:{action}", machine)

    return mapper


def _update_state_machine(call: Call, lookups: Lookups) -> Iterator[Authorization]:
    """UpdateStateMachine; with `publish`, also PublishStateMachineVersion (the developer guide's "authorization for
    versions and aliases")."""
    machine = str(call.params["stateMachineArn"])
    yield Authorization("states:UpdateStateMachine", machine)
    if call.params.get("publish"):
        yield Authorization("states:PublishStateMachineVersion", machine)


def _create_alias(call: Call, lookups: Lookups) -> Iterator[Authorization]:
    """Authorized on the state machine whose versions it routes, the alias name its qualifier (`authorization_on`)."""
    version = str(call.params["routingConfiguration"][0]["stateMachineVersionArn"])
    alias = f"{version.rsplit(':', 1)[0]}:{call.params['name']}"
    yield authorization_on("states:CreateStateMachineAlias", alias)


# -- Lambda, SQS, SNS, CloudWatch, X-Ray -------------------------------------------------------------------------


def _invoke(call: Call, lookups: Lookups) -> Iterator[Authorization]:
    name = str(call.params["FunctionName"])
    arn = name if name.startswith("arn:") else _arn(call, "lambda", f"function:{name}")
    qualifier = call.params.get("Qualifier")
    yield Authorization("lambda:InvokeFunction", f"{arn}:{qualifier}" if qualifier else arn)


def _queue(call: Call) -> str:
    url = str(call.params["QueueUrl"])
    return _arn(call, "sqs", url.rstrip("/").rsplit("/", 1)[-1])


def _sqs(action: str) -> Mapper:
    def mapper(call: Call, lookups: Lookups) -> Iterator[Authorization]:
        yield Authorization(f"sqs:{action}", _queue(call))

    return mapper


def _publish(call: Call, lookups: Lookups) -> Iterator[Authorization]:
    yield Authorization("sns:Publish", str(call.params.get("TopicArn") or call.params.get("TargetArn")))


def _put_metric_data(call: Call, lookups: Lookups) -> Iterator[Authorization]:
    # No resource-level permissions: the namespace condition is what narrows it.
    yield Authorization("cloudwatch:PutMetricData", ANY_RESOURCE, {"cloudwatch:namespace": call.params["Namespace"]})


def _anywhere(action: str) -> Mapper:
    def mapper(call: Call, lookups: Lookups) -> Iterator[Authorization]:
        yield Authorization(action, ANY_RESOURCE)

    return mapper


_MAPPERS: Final[dict[tuple[str, str], Mapper]] = {
    ("dynamodb", "GetItem"): _item_action("GetItem", "Key"),
    ("dynamodb", "PutItem"): _item_action("PutItem", "Item"),
    ("dynamodb", "UpdateItem"): _item_action("UpdateItem", "Key"),
    ("dynamodb", "DeleteItem"): _item_action("DeleteItem", "Key"),
    ("dynamodb", "Query"): _query,
    ("dynamodb", "Scan"): _scan,
    ("dynamodb", "TransactWriteItems"): _transaction,
    ("dynamodb", "TransactGetItems"): _transaction,
    ("dynamodb", "BatchGetItem"): _batch_get,
    ("dynamodb", "BatchWriteItem"): _batch_write,
    ("dynamodb", "DescribeTable"): _describe_table,
    ("dynamodb", "ListTables"): _anywhere("dynamodb:ListTables"),
    ("events", "PutEvents"): _put_events,
    ("events", "DescribeEventBus"): _events_on("DescribeEventBus", lambda c: _bus(c, c.params.get("Name"))),
    ("events", "DescribeArchive"): _events_on("DescribeArchive", _archive),
    ("events", "ListArchives"): _events_on("ListArchives", lambda c: ANY_RESOURCE),
    ("events", "DescribeReplay"): _events_on("DescribeReplay", _replay),
    ("events", "StartReplay"): _start_replay,
    ("states", "StartExecution"): _states_on("StartExecution", "stateMachineArn"),
    ("states", "DescribeStateMachine"): _states_on("DescribeStateMachine", "stateMachineArn"),
    ("states", "ListTagsForResource"): _states_on("ListTagsForResource", "resourceArn"),
    ("states", "ListExecutions"): _states_on("ListExecutions", "stateMachineArn"),
    ("states", "DescribeExecution"): _states_on("DescribeExecution", "executionArn"),
    ("states", "GetExecutionHistory"): _states_on("GetExecutionHistory", "executionArn"),
    ("states", "DescribeStateMachineForExecution"): _states_on("DescribeStateMachineForExecution", "executionArn"),
    ("states", "StopExecution"): _states_on("StopExecution", "executionArn"),
    ("states", "RedriveExecution"): _states_on("RedriveExecution", "executionArn"),
    ("states", "ListStateMachines"): _anywhere("states:ListStateMachines"),
    ("states", "ListStateMachineVersions"): _states_on("ListStateMachineVersions", "stateMachineArn"),
    ("states", "ListStateMachineAliases"): _states_on("ListStateMachineAliases", "stateMachineArn"),
    ("states", "PublishStateMachineVersion"): _states_on("PublishStateMachineVersion", "stateMachineArn"),
    ("states", "UpdateStateMachine"): _update_state_machine,
    ("states", "DescribeStateMachineAlias"): _states_on("DescribeStateMachineAlias", "stateMachineAliasArn"),
    ("states", "UpdateStateMachineAlias"): _states_on("UpdateStateMachineAlias", "stateMachineAliasArn"),
    ("states", "CreateStateMachineAlias"): _create_alias,
    ("states", "SendTaskSuccess"): _task_response("SendTaskSuccess"),
    ("states", "SendTaskFailure"): _task_response("SendTaskFailure"),
    ("states", "SendTaskHeartbeat"): _task_response("SendTaskHeartbeat"),
    ("lambda", "Invoke"): _invoke,
    ("sqs", "SendMessage"): _sqs("SendMessage"),
    ("sqs", "SendMessageBatch"): _sqs("SendMessage"),
    ("sqs", "ReceiveMessage"): _sqs("ReceiveMessage"),
    ("sqs", "DeleteMessage"): _sqs("DeleteMessage"),
    ("sqs", "DeleteMessageBatch"): _sqs("DeleteMessage"),
    ("sqs", "ChangeMessageVisibility"): _sqs("ChangeMessageVisibility"),
    ("sqs", "ChangeMessageVisibilityBatch"): _sqs("ChangeMessageVisibility"),
    ("sqs", "GetQueueAttributes"): _sqs("GetQueueAttributes"),
    ("sns", "Publish"): _publish,
    ("cloudwatch", "PutMetricData"): _put_metric_data,
    ("xray", "PutTraceSegments"): _anywhere("xray:PutTraceSegments"),
    ("xray", "PutTelemetryRecords"): _anywhere("xray:PutTelemetryRecords"),
}
