"""The access report of a local run: per principal (role), every (action, resource) it used and was allowed, every
call denied, and every statement of its policies nothing used: the evidence for least privilege, as IAM Access
Analyzer's unused-access findings give it on AWS.

A statement is *used* when it allowed (or denied) an evaluated call of the run. Some statements serve calls the
local runtime cannot observe, made by the service on the principal's behalf rather than by its code: Lambda writing
its logs (`logs:*` of AWSLambdaBasicExecutionRole), the X-Ray SDK or service sending traces (`xray:*`), Step Functions
delivering its execution logs (`logs:*Delivery*`, `logs:*ResourcePolic*`, `logs:DescribeLogGroups`). Those are
listed apart, as *served by the service*, not as unused.

A run that does not take every path of the app (the soak) says why some statements are unused: `explained` entries
(infra/unused_access.py) move a matching statement from *unused* to *explained*, with the reason; what is left
unused is a finding.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from orchestrator.local.iam.evaluation import Statement
from orchestrator.local.iam.principals import Principals

# Action prefixes of the calls the services make for a principal, out of the local runtime's sight.
SERVICE_SIDE_ACTIONS: Final = ("logs:", "xray:")


class Explanation(Protocol):
    """Why statements may be unused in a run (infra/unused_access.py `UnusedExplained`)."""

    @property
    def role(self) -> str:
        """Part of the role's name, or of the name of the statement's policy (the role's logical id begins it)."""

    @property
    def action(self) -> str:
        """An action the statement allows ("": any)."""

    @property
    def where(self) -> str:
        """Part of the statement's text: its policy, resources and conditions ("": any)."""

    @property
    def reason(self) -> str: ...


@dataclass
class PrincipalAccess:
    role: str  # the role's name
    allowed: list[tuple[str, str, int]] = field(default_factory=list)  # (action, resource, calls)
    denied: list[tuple[str, str, str, int]] = field(default_factory=list)  # (action, resource, why, calls)
    unused: list[str] = field(default_factory=list)  # statements nothing used, described
    service_side: list[str] = field(default_factory=list)  # statements for the service's own calls
    explained: list[str] = field(default_factory=list)  # unused statements a run explains: "<statement>: <why>"


@dataclass
class AccessReport:
    principals: list[PrincipalAccess]

    @property
    def denied_calls(self) -> int:
        return sum(n for p in self.principals for *_, n in p.denied)

    @property
    def unused_statements(self) -> int:
        return sum(len(p.unused) for p in self.principals)

    @property
    def explained_statements(self) -> int:
        return sum(len(p.explained) for p in self.principals)

    def summary(self) -> str:
        explained = f" ({self.explained_statements} more explained)" if self.explained_statements else ""
        return (
            f"access report: {len(self.principals)} principals, {self.denied_calls} calls denied, "
            f"{self.unused_statements} statements unused{explained}"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "denied_calls": self.denied_calls,
            "unused_statements": self.unused_statements,
            "principals": [
                {
                    "role": p.role,
                    "allowed": [{"action": a, "resource": r, "calls": n} for a, r, n in p.allowed],
                    "denied": [{"action": a, "resource": r, "why": w, "calls": n} for a, r, w, n in p.denied],
                    "unused": p.unused,
                    "explained": p.explained,
                    "served_by_the_service": p.service_side,
                }
                for p in self.principals
            ],
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> AccessReport:
        """The report `as_json` gave (server mode's page)."""
        return cls(
            [
                PrincipalAccess(
                    p["role"],
                    [(a["action"], a["resource"], a["calls"]) for a in p["allowed"]],
                    [(d["action"], d["resource"], d["why"], d["calls"]) for d in p["denied"]],
                    list(p["unused"]),
                    list(p["served_by_the_service"]),
                    list(p.get("explained", [])),
                )
                for p in document["principals"]
            ]
        )

    def lines(self) -> list[str]:
        out = [self.summary()]
        for p in self.principals:
            out.append(f"{p.role}")
            out += [f"  allowed  {a} on {r} ({n})" for a, r, n in p.allowed]
            out += [f"  DENIED   {a} on {r}: {w} ({n})" for a, r, w, n in p.denied]
            out += [f"  unused   {s}" for s in p.unused]
            out += [f"  explained {s}" for s in p.explained]
            out += [f"  service  {s}" for s in p.service_side]
        return out


def access_report(principals: Principals, log: Any, explained: Sequence[Explanation] = ()) -> AccessReport:
    """The report of the run whose calls `log` (enforcement.AccessLog) recorded, over the roles of `principals`;
    `explained` says why some statements may be unused in this run."""
    allowed, denied, used = log.snapshot()
    denied_counts: dict[tuple[str, str, str, str], int] = defaultdict(int)
    for entry in denied:
        denied_counts[entry] += 1
    report = []
    for arn, role in sorted(principals.roles.items(), key=lambda item: item[1].name):
        access = _calls(role.name, arn, allowed, denied_counts)
        for statement in role.statements:
            if (statement.source, statement.index) in used:
                continue
            described = describe(statement)
            reason = why_unused(role.name, statement, explained)
            if statement.actions and all(a.startswith(SERVICE_SIDE_ACTIONS) for a in statement.actions):
                access.service_side.append(described)
            elif reason is not None:
                access.explained.append(f"{described}: {reason}")
            else:
                access.unused.append(described)
        report.append(access)
    # Service principals (EventBridge delivering to a resource policy): their calls, no statements of their own.
    others = sorted({who for who, *_ in allowed} | {who for who, *_ in denied_counts} - set(principals.roles))
    report += [_calls(who, who, allowed, denied_counts) for who in others if who not in principals.roles]
    return AccessReport(report)


def why_unused(role: str, statement: Statement, explained: Sequence[Explanation]) -> str | None:
    """The reason of the first of `explained` matching the unused `statement` of `role`; None: a finding."""
    text = f"{statement.source} {json.dumps(statement.resources)} {json.dumps(statement.conditions)}"
    for entry in explained:
        if (
            entry.role in f"{role} {statement.source}"  # a role's physical name may be cut short; its policies' not
            and (not entry.action or entry.action in statement.actions)
            and (not entry.where or entry.where in text)
        ):
            return entry.reason
    return None


def _calls(
    name: str,
    who: str,
    allowed: Mapping[tuple[str, str, str], int],
    denied: Mapping[tuple[str, str, str, str], int],
) -> PrincipalAccess:
    access = PrincipalAccess(name)
    access.allowed = sorted((a, r, n) for (by, a, r), n in allowed.items() if by == who)
    access.denied = sorted((a, r, w, n) for (by, a, r, w), n in denied.items() if by == who)
    return access


def describe(statement: Statement) -> str:
    """One line: where the statement is, its effect, actions and resources (conditions named by their keys)."""
    actions = ", ".join(statement.actions) or "NotAction " + ", ".join(statement.not_actions)
    resources = ", ".join(statement.resources) or "NotResource " + ", ".join(statement.not_resources)
    keys = sorted({key for operator in statement.conditions.values() for key in operator})
    condition = f" if {', '.join(keys)}" if keys else ""
    return f"{statement.source} #{statement.index}: {statement.effect} {actions} on {resources}{condition}"
