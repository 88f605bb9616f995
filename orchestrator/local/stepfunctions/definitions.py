"""State machines from the template, created in moto as CloudFormation would.

`AWS::StepFunctions::StateMachine`: `DefinitionString` or `Definition`, with `DefinitionSubstitutions` applied as
CloudFormation does. `LoggingConfiguration`, `TracingConfiguration` and `EncryptionConfiguration` are accepted and
ignored: moto's interpreter writes no execution logs or traces.
`AWS::StepFunctions::StateMachineVersion`: the state machine's current revision published, refused (as
PublishStateMachineVersion refuses it) when `StateMachineRevisionId` names another revision.
`AWS::StepFunctions::StateMachineAlias`: its `RoutingConfiguration`; a `DeploymentPreference` (CloudFormation shifting
traffic under alarms, which nothing runs locally) is taken at its end: all on its version.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Mapping
from typing import Any, Final

from orchestrator.local.provision import Provisioned, Provisioner

logger = logging.getLogger(__name__)

STATE_MACHINE_TYPE: Final[str] = "AWS::StepFunctions::StateMachine"
VERSION_TYPE: Final[str] = "AWS::StepFunctions::StateMachineVersion"
ALIAS_TYPE: Final[str] = "AWS::StepFunctions::StateMachineAlias"
IGNORED_PROPERTIES: Final[frozenset[str]] = frozenset(
    {"LoggingConfiguration", "TracingConfiguration", "EncryptionConfiguration"}
)

_PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")
_IAM_ROLE_ARN = re.compile(r"arn:aws[-a-z]*:iam::\d{12}:role/.+")


def apply_substitutions(definition: str, substitutions: Mapping[str, Any]) -> str:
    """`${Name}` placeholders replaced by their `DefinitionSubstitutions` value, as CloudFormation does; a
    placeholder without a substitution is left as written."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in substitutions:
            return match.group(0)
        replacement = substitutions[name]
        return replacement if isinstance(replacement, str) else json.dumps(replacement)

    return _PLACEHOLDER.sub(value, definition)


def state_machine_definition(logical_id: str, props: Mapping[str, Any]) -> str:
    """The ASL text of a state machine resource: `DefinitionString` or `Definition`, substitutions applied."""
    if "DefinitionS3Location" in props:
        raise NotImplementedError(
            f"{logical_id}: DefinitionS3Location is not supported locally (no S3 asset upload); inline the "
            "definition instead (CDK: DefinitionBody.from_file writes it into DefinitionString)"
        )
    if "DefinitionString" in props:
        raw = props["DefinitionString"]
        text = raw if isinstance(raw, str) else json.dumps(raw)
    elif "Definition" in props:
        text = json.dumps(props["Definition"])
    else:
        raise ValueError(f"{logical_id}: a state machine needs DefinitionString or Definition")
    return apply_substitutions(text, props.get("DefinitionSubstitutions") or {})


def create_state_machine(p: Provisioner, logical_id: str, props: dict[str, Any]) -> Provisioned:
    """Creator of `AWS::StepFunctions::StateMachine`: Ref is the ARN, attributes Arn, Name, StateMachineRevisionId."""
    name = props.get("StateMachineName") or p.physical_name(logical_id, 80)
    definition = state_machine_definition(logical_id, props)
    role = props.get("RoleArn")
    if not isinstance(role, str) or not _IAM_ROLE_ARN.fullmatch(role):
        # A role not provisioned (a bare Provisioner skips roles) has a placeholder ARN not in IAM's format, which
        # moto checks. A LocalCloud's roles have real ARNs (orchestrator/local/iam).
        role = f"arn:aws:iam::{p.account}:role/{name}-local"
    arguments: dict[str, Any] = {
        "name": name,
        "definition": definition,
        "roleArn": role,
        "type": props.get("StateMachineType", "STANDARD"),
    }
    if props.get("Tags"):
        arguments["tags"] = [{"key": tag["Key"], "value": tag["Value"]} for tag in props["Tags"]]
    ignored = sorted(IGNORED_PROPERTIES & props.keys())
    if ignored:
        logger.info("state machine %s: %s accepted and ignored locally", name, ", ".join(ignored))
    arn = p.client("stepfunctions").create_state_machine(**arguments)["stateMachineArn"]
    return Provisioned(arn, {"Arn": arn, "Name": name, "StateMachineRevisionId": _revision(arn, definition)})


def _revision(arn: str, definition: str) -> str:
    """moto keeps no revision ids; one derived from the definition changes exactly when the definition does."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{arn}#{definition}"))


def create_version(p: Provisioner, logical_id: str, props: dict[str, Any]) -> Provisioned:
    """Creator of `AWS::StepFunctions::StateMachineVersion`: Ref and Arn are the version's ARN."""
    machine = str(props["StateMachineArn"])
    sfn = p.client("stepfunctions")
    definition = str(sfn.describe_state_machine(stateMachineArn=machine)["definition"])
    revision = props.get("StateMachineRevisionId")
    if revision not in (None, "INITIAL", _revision(machine, definition)):
        raise ValueError(f"{logical_id}: StateMachineRevisionId {revision} is not {machine}'s current revision")
    # moto has no PublishStateMachineVersion: UpdateStateMachine with `publish` publishes the current definition.
    arguments: dict[str, Any] = {"stateMachineArn": machine, "definition": definition, "publish": True}
    if props.get("Description"):
        arguments["versionDescription"] = props["Description"]
    arn = str(sfn.update_state_machine(**arguments)["stateMachineVersionArn"])
    return Provisioned(arn, {"Arn": arn})


def create_alias(p: Provisioner, logical_id: str, props: dict[str, Any]) -> Provisioned:
    """Creator of `AWS::StepFunctions::StateMachineAlias`: Ref and Arn are the alias's ARN."""
    preference = props.get("DeploymentPreference")
    if preference:
        logger.info("alias %s: DeploymentPreference %s taken at its end locally", logical_id, preference.get("Type"))
        routes = [{"StateMachineVersionArn": preference["StateMachineVersionArn"], "Weight": 100}]
    else:
        routes = props["RoutingConfiguration"]
    arguments: dict[str, Any] = {
        "name": props.get("Name") or p.physical_name(logical_id, 80),
        "routingConfiguration": [
            {"stateMachineVersionArn": str(r["StateMachineVersionArn"]), "weight": int(r["Weight"])} for r in routes
        ],
    }
    if props.get("Description"):
        arguments["description"] = props["Description"]
    arn = str(p.client("stepfunctions").create_state_machine_alias(**arguments)["stateMachineAliasArn"])
    return Provisioned(arn, {"Arn": arn})
