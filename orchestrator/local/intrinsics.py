"""CloudFormation intrinsic functions, resolved the way CloudFormation does, for provisioning a template locally.

Supported: Ref (parameters, pseudo parameters, resources), Fn::GetAtt, Fn::Join, Fn::Sub (both forms), Fn::Select,
Fn::Split, Fn::If with Conditions (Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition), Fn::ImportValue, Fn::GetAZs and
AWS::NoValue. Anything else raises `UnsupportedIntrinsic` naming the function and where it was found, so a template
the local runtime cannot read fails loudly instead of provisioning something subtly wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

NO_VALUE = object()  # AWS::NoValue: the property is removed, as if it was never written
_SUB_VARIABLE = re.compile(r"\$\{(!?)([^}]+)\}")


class UnsupportedIntrinsic(ValueError):
    """A template uses an intrinsic or reference the local runtime cannot resolve."""


@dataclass
class Scope:
    """What references resolve against while one stack is provisioned."""

    account: str
    region: str
    stack_name: str
    partition: str = "aws"
    parameters: dict[str, Any] = field(default_factory=dict)
    # logical id -> value of `Ref`, and logical id -> attribute name -> value of `Fn::GetAtt`
    refs: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)
    exports: Mapping[str, Any] = field(default_factory=dict)
    conditions: dict[str, Any] = field(default_factory=dict)

    def pseudo(self, name: str) -> Any:
        stack_id = f"arn:{self.partition}:cloudformation:{self.region}:{self.account}:stack/{self.stack_name}/local"
        values = {
            "AWS::AccountId": self.account,
            "AWS::Region": self.region,
            "AWS::Partition": self.partition,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self.stack_name,
            "AWS::StackId": stack_id,
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }
        if name not in values:
            raise UnsupportedIntrinsic(f"unknown pseudo parameter {name}")
        return values[name]


def resolve(value: Any, scope: Scope) -> Any:
    """`value` with every intrinsic function replaced by its value; AWS::NoValue entries are dropped."""
    if isinstance(value, list):
        resolved = [resolve(item, scope) for item in value]
        return [item for item in resolved if item is not NO_VALUE]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, argument),) = value.items()
        function = _FUNCTIONS.get(key)
        # {"Condition": "Name"} is a condition reference; {"Condition": {...}} (in a policy) is plain data.
        if function is not None and not (key == "Condition" and not isinstance(argument, str)):
            return function(argument, scope)
        if key.startswith("Fn::"):
            raise UnsupportedIntrinsic(f"{key} is not supported by the local runtime")
    resolved_map = {k: resolve(v, scope) for k, v in value.items()}
    return {k: v for k, v in resolved_map.items() if v is not NO_VALUE}


def evaluate_condition(name: str, scope: Scope) -> bool:
    """The value of the template condition `name` (evaluated once, then remembered)."""
    condition = scope.conditions.get(name)
    if condition is None:
        raise UnsupportedIntrinsic(f"condition {name} is not defined in the template")
    if not isinstance(condition, bool):
        condition = bool(resolve(condition, scope))
        scope.conditions[name] = condition
    return condition


def references(value: Any) -> set[str]:
    """Logical ids that `value` refers to (Ref, Fn::GetAtt, ${Name} in Fn::Sub): its dependencies."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= references(item)
    elif isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str) and not value["Ref"].startswith("AWS::"):
            found.add(value["Ref"])
        elif "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            found.add(target[0] if isinstance(target, list) else str(target).split(".", 1)[0])
        elif "Fn::Sub" in value:
            template = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
            names = {m.group(2).split(".", 1)[0] for m in _SUB_VARIABLE.finditer(template) if not m.group(1)}
            local = set(value["Fn::Sub"][1]) if isinstance(value["Fn::Sub"], list) else set()
            found |= {n for n in names - local if not n.startswith("AWS::")}
            if isinstance(value["Fn::Sub"], list):
                found |= references(value["Fn::Sub"][1])
        else:
            for item in value.values():
                found |= references(item)
    return found


def _ref(name: Any, scope: Scope) -> Any:
    if not isinstance(name, str):
        raise UnsupportedIntrinsic(f"Ref takes a name, not {name!r}")
    if name.startswith("AWS::"):
        return scope.pseudo(name)
    if name in scope.parameters:
        return scope.parameters[name]
    if name in scope.refs:
        return scope.refs[name]
    raise UnsupportedIntrinsic(f"Ref to {name}, which is neither a parameter nor a provisioned resource")


def _get_att(argument: Any, scope: Scope) -> Any:
    logical_id, attribute = argument if isinstance(argument, list) else str(argument).split(".", 1)
    attribute = resolve(attribute, scope)
    try:
        return scope.attributes[logical_id][attribute]
    except KeyError:
        raise UnsupportedIntrinsic(f"Fn::GetAtt {logical_id}.{attribute} is not known locally") from None


def _join(argument: Any, scope: Scope) -> str:
    delimiter, items = argument
    return str(delimiter).join(_text(item) for item in resolve(items, scope))


def _sub(argument: Any, scope: Scope) -> str:
    template, variables = (argument, {}) if isinstance(argument, str) else argument
    local = {k: resolve(v, scope) for k, v in variables.items()}

    def substitute(match: re.Match[str]) -> str:
        if match.group(1):  # ${!Literal} stays as ${Literal}
            return "${" + match.group(2) + "}"
        name = match.group(2)
        if name in local:
            return _text(local[name])
        if "." in name and not name.startswith("AWS::"):
            return _text(_get_att(name, scope))
        return _text(_ref(name, scope))

    return _SUB_VARIABLE.sub(substitute, template)


def _select(argument: Any, scope: Scope) -> Any:
    index, items = argument
    return resolve(items, scope)[int(resolve(index, scope))]


def _split(argument: Any, scope: Scope) -> list[str]:
    delimiter, text = argument
    return str(resolve(text, scope)).split(delimiter)


def _if(argument: Any, scope: Scope) -> Any:
    name, when_true, when_false = argument
    return resolve(when_true if evaluate_condition(name, scope) else when_false, scope)


def _equals(argument: Any, scope: Scope) -> bool:
    left, right = resolve(argument, scope)
    return bool(left == right)


def _not(argument: Any, scope: Scope) -> bool:
    (condition,) = argument
    return not _truth(condition, scope)


def _and(argument: Any, scope: Scope) -> bool:
    return all(_truth(c, scope) for c in argument)


def _or(argument: Any, scope: Scope) -> bool:
    return any(_truth(c, scope) for c in argument)


def _truth(condition: Any, scope: Scope) -> bool:
    return bool(resolve(condition, scope))


def _condition(name: Any, scope: Scope) -> bool:
    return evaluate_condition(str(name), scope)


def _import_value(argument: Any, scope: Scope) -> Any:
    name = resolve(argument, scope)
    if name not in scope.exports:
        raise UnsupportedIntrinsic(f"Fn::ImportValue {name}: no stack provisioned before this one exports it")
    return scope.exports[name]


def _get_azs(argument: Any, scope: Scope) -> list[str]:
    return [f"{scope.region}{zone}" for zone in "abc"]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_FUNCTIONS: dict[str, Callable[[Any, Scope], Any]] = {
    "Ref": _ref,
    "Fn::GetAtt": _get_att,
    "Fn::Join": _join,
    "Fn::Sub": _sub,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::If": _if,
    "Fn::Equals": _equals,
    "Fn::Not": _not,
    "Fn::And": _and,
    "Fn::Or": _or,
    "Condition": _condition,
    "Fn::ImportValue": _import_value,
    "Fn::GetAZs": _get_azs,
}
