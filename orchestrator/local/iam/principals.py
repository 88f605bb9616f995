"""The template's IAM roles and their policies, as the local runtime provisions them (`Principals.creators`).

Each `AWS::IAM::Role` becomes a `Role` with its ARN as CloudFormation would give it (`arn:aws:iam::<account>:role/
<path><name>`, the name generated the way `Provisioner.physical_name` generates names when the template gives none),
its inline policies, and the managed policies it names: customer-managed ones from the template
(`AWS::IAM::ManagedPolicy`), AWS-managed ones resolved by name from the copy moto ships
(`moto.iam.aws_managed_policies`, the documents as AWS publishes them; no network). Each `AWS::IAM::Policy` and
`AWS::IAM::ManagedPolicy` is attached to the roles it names. The documents arrive with their intrinsics resolved by
the provisioner (a `Fn::GetAtt` of a table is that table's local ARN), so they are evaluated as written.

Nothing is created in moto's IAM: the local runtime evaluates the policies itself (evaluation.py), and a role that
only exists here keeps moto from evaluating anything a second, different way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Final

from orchestrator.local.iam.evaluation import Statement, parse_policy
from orchestrator.local.provision import Provisioned, Provisioner

AWS_MANAGED_PREFIX: Final = "arn:aws:iam::aws:policy/"


class UnknownManagedPolicyError(LookupError):
    """A role names an AWS-managed policy the local runtime has no document of."""


@dataclass
class Role:
    """One role of the template: who it is and every statement of the policies attached to it."""

    arn: str
    name: str
    logical_id: str
    statements: list[Statement] = field(default_factory=list)
    documents: list[tuple[str, Mapping[str, Any] | str]] = field(default_factory=list)  # (policy, document) attached

    def attach(self, source: str, document: Mapping[str, Any] | str) -> None:
        self.documents.append((source, document))
        self.statements.extend(parse_policy(document, source=f"role/{self.name} {source}"))


@dataclass
class Principals:
    """The roles of the provisioned template, by ARN (and by name, as policies attach to roles by name)."""

    roles: dict[str, Role] = field(default_factory=dict)
    _by_name: dict[str, Role] = field(default_factory=dict)
    _managed: dict[str, tuple[str, Mapping[str, Any]]] = field(default_factory=dict)  # ARN -> (name, document)

    def creators(self) -> dict[str, Callable[[Provisioner, str, dict[str, Any]], Provisioned]]:
        return {
            "AWS::IAM::Role": self._role,
            "AWS::IAM::Policy": self._policy,
            "AWS::IAM::ManagedPolicy": self._managed_policy,
        }

    def role(self, arn: str) -> Role | None:
        return self.roles.get(arn)

    def add_role_like(self, model_arn: str, name: str, rewrite: Callable[[str], str]) -> Role:
        """A role for a resource made outside the template (a test's own state machine): `model_arn`'s policies,
        their text rewritten (a key prefix of its own, say), as the template would have granted them."""
        model = self.roles[model_arn]
        arn = f"{model_arn.rsplit('/', 1)[0]}/{name}"
        role = Role(arn, name, logical_id="")
        for source, document in model.documents:
            text = document if isinstance(document, str) else json.dumps(document)
            role.attach(source, rewrite(text))
        self.roles[arn] = role
        self._by_name[name] = role
        return role

    def grant_alike(self, granted: str, to: str) -> None:
        """Every role granted something on the resource `granted` is granted the same on `to` (a test's state
        machine served by the same functions as a template's, as deploying it with the app would grant them)."""
        for role in list(self.roles.values()):
            for source, document in list(role.documents):
                text = document if isinstance(document, str) else json.dumps(document)
                if json.dumps(granted)[1:-1] in text:
                    role.attach(f"{source} (as for {granted}, on {to})", text.replace(granted, to))

    @property
    def statement_count(self) -> int:
        return sum(len(role.statements) for role in self.roles.values())

    def _role(self, p: Provisioner, logical_id: str, props: dict[str, Any]) -> Provisioned:
        name = str(props.get("RoleName") or p.physical_name(logical_id, 64))
        path = str(props.get("Path", "/"))
        arn = f"arn:aws:iam::{p.account}:role{path}{name}"
        role = Role(arn, name, logical_id)
        for inline in props.get("Policies", []):
            role.attach(f"inline policy {inline['PolicyName']}", inline["PolicyDocument"])
        for managed in props.get("ManagedPolicyArns", []):
            policy_name, document = self._managed_document(str(managed))
            role.attach(f"managed policy {policy_name}", document)
        self.roles[arn] = role
        self._by_name[name] = role
        role_id = "AROA" + _digest(arn)
        return Provisioned(name, {"Arn": arn, "RoleId": role_id})

    def _policy(self, p: Provisioner, logical_id: str, props: dict[str, Any]) -> Provisioned:
        name = str(props.get("PolicyName") or p.physical_name(logical_id, 128))
        for role_name in props.get("Roles", []):
            self._attached_role(str(role_name), logical_id).attach(f"policy {name}", props["PolicyDocument"])
        # Users and groups: no principal of the local runtime acts as one.
        return Provisioned(name, {"Id": name})

    def _managed_policy(self, p: Provisioner, logical_id: str, props: dict[str, Any]) -> Provisioned:
        name = str(props.get("ManagedPolicyName") or p.physical_name(logical_id, 128))
        path = str(props.get("Path", "/"))
        arn = f"arn:aws:iam::{p.account}:policy{path}{name}"
        self._managed[arn] = (name, props["PolicyDocument"])
        for role_name in props.get("Roles", []):
            self._attached_role(str(role_name), logical_id).attach(f"managed policy {name}", props["PolicyDocument"])
        return Provisioned(arn, {"PolicyArn": arn})

    def _attached_role(self, role_name: str, policy_id: str) -> Role:
        role = self._by_name.get(role_name)
        if role is None:
            raise LookupError(f"{policy_id} attaches to role {role_name!r}, which the template does not create")
        return role

    def _managed_document(self, arn: str) -> tuple[str, Mapping[str, Any]]:
        """The name and document of a managed policy: the template's own, or an AWS-managed one by its name."""
        if arn in self._managed:
            return self._managed[arn]
        if arn.startswith(AWS_MANAGED_PREFIX):
            name = arn.rsplit("/", 1)[-1]
            document = aws_managed_policies().get(name)
            if document is not None:
                return name, document
        raise UnknownManagedPolicyError(
            f"managed policy {arn}: neither in the template nor an AWS-managed policy the local runtime knows"
        )


@cache
def aws_managed_policies() -> dict[str, Mapping[str, Any]]:
    """AWS-managed policies by name, as moto ships them (read once per process: a few MB of JSON)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return {name: entry["Document"] for name, entry in json.loads(aws_managed_policies_data).items()}


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:17].upper()
