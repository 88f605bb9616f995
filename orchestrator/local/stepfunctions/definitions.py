"""State machines from the template: `AWS::StepFunctions::StateMachine` created in moto, as CloudFormation would.

`DefinitionString` or `Definition`, with `DefinitionSubstitutions` applied as CloudFormation does.
`LoggingConfiguration`, `TracingConfiguration` and `EncryptionConfiguration` are accepted and ignored: moto's
interpreter writes no execution logs or traces.
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
    # moto keeps no revision ids; one derived from the definition changes exactly when the definition does.
    revision = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{arn}#{definition}"))
    return Provisioned(arn, {"Arn": arn, "Name": name, "StateMachineRevisionId": revision})
