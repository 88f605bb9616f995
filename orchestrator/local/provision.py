"""Provisions a synthesized cloud assembly (`cdk.out`) on moto through boto3, resource by resource.

moto's own CloudFormation is not used: in moto 5.2.5 it fails on a rule whose `EventBusName` is a `Ref` to an
`AWS::Events::EventBus`. Instead each stack's resources are created in dependency order with intrinsics resolved
by `orchestrator.local.intrinsics`. IAM roles and policies are provisioned by orchestrator/local/iam (enforced
there). Types that change no behaviour locally (KMS, resource policies) are skipped; types the local runtime cannot
run yet are not created. Both kinds are listed in one start-up notice and get placeholder ids and ARNs, so
resources that refer to them still provision. Nothing is dropped silently.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from typing import Any

from orchestrator.assembly import CloudAssembly, StackTemplate
from orchestrator.local.intrinsics import Scope, evaluate_condition, references, resolve

# Types whose behaviour the local runtime does not need: access control, encryption at rest, CDK bookkeeping.
SKIPPED_TYPES = {
    # A LocalCloud provisions these with its IAM adapter (orchestrator/local/iam); a bare Provisioner skips them.
    "AWS::IAM::Role": "roles are the IAM adapter's (orchestrator/local/iam)",
    "AWS::IAM::Policy": "policies are the IAM adapter's (orchestrator/local/iam)",
    "AWS::KMS::Key": "data is not encrypted at rest locally",
    "AWS::SQS::QueuePolicy": "resource policies are not enforced locally",
    "AWS::SNS::TopicPolicy": "resource policies are not enforced locally",
    "AWS::Events::EventBusPolicy": "resource policies are not enforced locally",
    "AWS::Lambda::Permission": "resource policies are not enforced locally",
    "AWS::ApiGateway::Account": "account-level API Gateway logging has no local effect",
    "AWS::CloudWatch::Alarm": "no CloudWatch metrics are produced locally; count queue depths instead",
    "AWS::SNS::Subscription": "no alarm notifies locally (alarms are not created), so no one is subscribed",
    "AWS::CDK::Metadata": "CDK bookkeeping",
}


@dataclass
class Provisioned:
    """What one resource became: its `Ref` value and its `Fn::GetAtt` attributes."""

    ref: Any
    attributes: dict[str, Any]


@dataclass
class Notice:
    """The start-up notice: every resource not created, by type, with why."""

    skipped: Counter[str] = field(default_factory=Counter)
    unsupported: Counter[str] = field(default_factory=Counter)
    not_run: Counter[str] = field(default_factory=Counter)  # created on moto, but their code does not run locally
    iam: str = ""  # whether IAM is enforced, and what was loaded

    def lines(self) -> list[str]:
        out = [self.iam] if self.iam else []
        out += [f"skipped {n} x {t}: {SKIPPED_TYPES[t]}" for t, n in sorted(self.skipped.items())]
        out += [f"not supported locally, not created: {n} x {t}" for t, n in sorted(self.unsupported.items())]
        out += [f"created, but not run locally: {n} x {t}" for t, n in sorted(self.not_run.items())]
        return out


Creator = Callable[["Provisioner", str, dict[str, Any]], Provisioned]


class Provisioner:
    """Creates an assembly's resources on the current moto backend (call inside `mock_aws`)."""

    def __init__(
        self,
        session: Any,
        account: str = "123456789012",
        region: str = "us-east-1",
        *,
        creators: Mapping[str, Creator] | None = None,
    ) -> None:
        self.session = session
        self.account = account
        self.region = region
        # Adapters of the local runtime add creators for the types they run (Lambda, Step Functions, mappings).
        self.creators: dict[str, Creator] = {**CREATORS, **(creators or {})}
        self.assembly: CloudAssembly | None = None
        self.current: dict[str, Any] = {}  # the template entry being created: its Metadata names asset folders
        self.notice = Notice()
        self.exports: dict[str, Any] = {}
        self.resources: dict[str, dict[str, Provisioned]] = {}  # stack name -> logical id -> provisioned
        self._clients: dict[str, Any] = {}
        self._stack = ""

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(service, region_name=self.region)
        return self._clients[service]

    def provision(self, assembly: CloudAssembly) -> None:
        """Provisions every stack of `assembly` in deployment order."""
        self.assembly = assembly
        for stack in assembly.stacks():
            self.provision_stack(stack)

    def provision_stack(self, stack: StackTemplate) -> None:
        self._stack = stack.name
        template = stack.template
        scope = Scope(
            account=self.account,
            region=self.region,
            stack_name=stack.name,
            parameters=_parameter_defaults(template),
            exports=self.exports,
            conditions=dict(template.get("Conditions", {})),
        )
        created = self.resources.setdefault(stack.name, {})
        for logical_id in _deployment_order(template["Resources"]):
            resource = template["Resources"][logical_id]
            if "Condition" in resource and not evaluate_condition(resource["Condition"], scope):
                continue
            properties = resolve(resource.get("Properties", {}), scope)
            self.current = resource
            provisioned = self._create(resource["Type"], logical_id, properties)
            created[logical_id] = provisioned
            scope.refs[logical_id] = provisioned.ref
            scope.attributes[logical_id] = provisioned.attributes
        for output in template.get("Outputs", {}).values():
            if "Export" in output:
                self.exports[resolve(output["Export"]["Name"], scope)] = resolve(output["Value"], scope)

    def physical_name(self, logical_id: str, limit: int = 64) -> str:
        """A name as CloudFormation generates one when the template gives none: stack, logical id, and a hash
        suffix when that is too long for the service's limit (so two long names never collide)."""
        name = f"{self._stack}-{logical_id}"
        if len(name) <= limit:
            return name
        return f"{name[: limit - 9]}-{hashlib.sha1(name.encode()).hexdigest()[:8]}"

    def arn(self, service: str, resource: str) -> str:
        region = "" if service == "iam" else self.region  # IAM is global: its ARNs name no region
        return f"arn:aws:{service}:{region}:{self.account}:{resource}"

    def _create(self, resource_type: str, logical_id: str, properties: dict[str, Any]) -> Provisioned:
        creator = self.creators.get(resource_type)
        if creator is not None:
            return creator(self, logical_id, properties)
        if resource_type in SKIPPED_TYPES:
            self.notice.skipped[resource_type] += 1
        else:
            self.notice.unsupported[resource_type] += 1
        return self._placeholder(resource_type, logical_id)

    def _placeholder(self, resource_type: str, logical_id: str) -> Provisioned:
        service = resource_type.split("::")[1].lower()
        arn = self.arn(service, f"{resource_type.split('::')[2].lower()}/{self.physical_name(logical_id)}")
        ref = arn if resource_type in _REF_IS_ARN else self.physical_name(logical_id)
        return Provisioned(ref=ref, attributes=_AnyAttribute(arn))


# Types whose `Ref` is their ARN rather than their name, so a placeholder still fits where an ARN is expected.
_REF_IS_ARN = {
    "AWS::StepFunctions::StateMachine",
    "AWS::StepFunctions::StateMachineVersion",
    "AWS::StepFunctions::StateMachineAlias",
    "AWS::StepFunctions::Activity",
    "AWS::Lambda::LayerVersion",
    "AWS::SNS::Topic",
    "AWS::EventSchemas::Schema",
    "AWS::EventSchemas::Registry",
}


class _AnyAttribute(dict[str, Any]):
    """Attributes of a resource that was not created: every attribute reads as its placeholder ARN."""

    def __init__(self, arn: str) -> None:
        super().__init__(Arn=arn)
        self._arn = arn

    def __missing__(self, key: str) -> str:
        return self._arn


def _parameter_defaults(template: Mapping[str, Any]) -> dict[str, Any]:
    return {name: spec.get("Default") for name, spec in template.get("Parameters", {}).items()}


def _deployment_order(resources: Mapping[str, Any]) -> Iterator[str]:
    graph: dict[str, set[str]] = {}
    for logical_id, resource in resources.items():
        depends_on = resource.get("DependsOn", [])
        depends = set([depends_on] if isinstance(depends_on, str) else depends_on)
        graph[logical_id] = (references(resource.get("Properties", {})) | depends) & set(resources)
    yield from TopologicalSorter(graph).static_order()


# Creators, one per supported type. Each returns what `Ref` and `Fn::GetAtt` give in CloudFormation.


def _event_bus(p: Provisioner, logical_id: str, props: dict[str, Any]) -> Provisioned:
    arn = p.client("events").create_event_bus(Name=props["Name"])["EventBusArn"]
    return Provisioned(props["Name"], {"Arn": arn, "Name": props["Name"]})


def _archive(p: Provisioner, logical_id: str, props: dict[str, Any]) -> Provisioned:
    name = props.get("ArchiveName") or p.physical_name(logical_id, 48)
    kwargs = {"ArchiveName": name, "EventSourceArn": props["SourceArn"]}
    if "EventPattern" in props:
        kwargs["EventPattern"] = json.dumps(props["EventPattern"])
    if "RetentionDays" in props:
        kwargs["RetentionDays"] = int(props["RetentionDays"])
    arn = p.client("events").create_archive(**kwargs)["ArchiveArn"]
    return Provisioned(name, {"Arn": arn, "ArchiveName": name})


def _rule(p: Provisioner, logical_id: str, props: dict[str, Any]) -> Provisioned:
    events = p.client("events")
    name = props.get("Name") or p.physical_name(logical_id)
    bus = props.get("EventBusName", "default")
    kwargs: dict[str, Any] = {"Name": name, "EventBusName": bus, "State": props.get("State", "ENABLED")}
    if "EventPattern" in props:
        kwargs["EventPattern"] = json.dumps(props["EventPattern"])
    if "ScheduleExpression" in props:
        kwargs["ScheduleExpression"] = props["ScheduleExpression"]
    arn = events.put_rule(**kwargs)["RuleArn"]
    if props.get("Targets"):
        events.put_targets(Rule=name, EventBusName=bus, Targets=props["Targets"])
    return Provisioned(arn if bus == "default" else f"{bus}|{name}", {"Arn": arn})


def _queue(p: Provisioner, logical_id: str, props: dict[str, Any]) -> Provisioned:
    sqs = p.client("sqs")
    name = props.get("QueueName") or p.physical_name(logical_id, 80)
    attributes = {
        key: json.dumps(value)
        if isinstance(value, dict)
        else str(value).lower()
        if isinstance(value, bool)
        else str(value)
        for key, value in props.items()
        if key not in ("QueueName", "Tags")
    }
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return Provisioned(url, {"Arn": arn, "QueueName": name, "QueueUrl": url})


_TABLE_ARGUMENTS = (
    "KeySchema",
    "AttributeDefinitions",
    "BillingMode",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "ProvisionedThroughput",
    "StreamSpecification",
)


def _table(p: Provisioner, logical_id: str, props: dict[str, Any]) -> Provisioned:
    dynamodb = p.client("dynamodb")
    name = props.get("TableName") or p.physical_name(logical_id, 255)
    arguments = {k: props[k] for k in _TABLE_ARGUMENTS if k in props}
    if "SSESpecification" in props:  # CloudFormation says SSEEnabled where the API says Enabled
        sse = dict(props["SSESpecification"])
        arguments["SSESpecification"] = {"Enabled": sse.pop("SSEEnabled", False), **sse}
    described = dynamodb.create_table(TableName=name, **arguments)
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
    table = described["TableDescription"]
    return Provisioned(name, {"Arn": table["TableArn"], "StreamArn": table.get("LatestStreamArn", "")})


def _topic(p: Provisioner, logical_id: str, props: dict[str, Any]) -> Provisioned:
    name = props.get("TopicName") or p.physical_name(logical_id, 256)
    arn = p.client("sns").create_topic(Name=name)["TopicArn"]
    return Provisioned(arn, {"TopicArn": arn, "TopicName": name})


def _log_group(p: Provisioner, logical_id: str, props: dict[str, Any]) -> Provisioned:
    logs = p.client("logs")
    name = props.get("LogGroupName") or f"/local/{p.physical_name(logical_id, 200)}"
    logs.create_log_group(logGroupName=name)
    if "RetentionInDays" in props:
        logs.put_retention_policy(logGroupName=name, retentionInDays=int(props["RetentionInDays"]))
    return Provisioned(name, {"Arn": p.arn("logs", f"log-group:{name}:*")})


CREATORS: dict[str, Creator] = {
    "AWS::Events::EventBus": _event_bus,
    "AWS::Events::Archive": _archive,
    "AWS::Events::Rule": _rule,
    "AWS::SQS::Queue": _queue,
    "AWS::DynamoDB::Table": _table,
    "AWS::SNS::Topic": _topic,
    "AWS::Logs::LogGroup": _log_group,
}
