"""The onboarding agents' work: deterministic and offline, so the DAG runs the same in tests, locally and on AWS.

Each agent (`onboarding-<what>`) reads the customer (the CustomerSignedUp data) and what earlier tasks produced,
and returns its output, or refuses with `AgentRefused` (reported as AgentTaskFailed). Like a payment
provider's test cards, a customer whose email's local part is `fail-<what>` (`fail-workspace@example.com`) makes
the agent `onboarding-<what>` refuse, so the demo and the tests can reach the DAG's compensations.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from functions.agents.kit import AgentRefused, AgentTask
from schemas.dags import CustomerSignedUp
from schemas.tables import ONBOARDING_AGENT_PREFIX

PREFIX = ONBOARDING_AGENT_PREFIX
SANCTIONED_COUNTRIES = frozenset({"KP", "IR", "SY"})


def _digest(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:10].upper()


def verify_identity(customer: CustomerSignedUp, task: dict[str, Any]) -> dict[str, Any]:
    return {"verified": True, "method": "document", "reference": f"IDV-{_digest(customer.customer_id)}"}


def screen_sanctions(customer: CustomerSignedUp, task: dict[str, Any]) -> dict[str, Any]:
    if customer.country in SANCTIONED_COUNTRIES:
        raise AgentRefused("SanctionsHit", f"country {customer.country} is under sanctions")
    return {"cleared": True, "lists": ["UN", "EU", "OFAC"]}


def open_account(customer: CustomerSignedUp, task: dict[str, Any]) -> dict[str, Any]:
    return {"account_id": f"ACC-{_digest(customer.customer_id)}", "plan": customer.plan}


def close_account(customer: CustomerSignedUp, task: dict[str, Any]) -> dict[str, Any]:
    return {"closed": task.get("account_id")}


def credit_limit(customer: CustomerSignedUp, task: dict[str, Any]) -> dict[str, Any]:
    # A stable figure from the id: 1,000 to 10,000 EUR in steps of 1,000.
    step = int(hashlib.sha256(customer.customer_id.encode()).hexdigest(), 16) % 10
    return {"limit_cents": (step + 1) * 100_000, "currency": "EUR"}


def provision_workspace(customer: CustomerSignedUp, task: dict[str, Any]) -> dict[str, Any]:
    return {
        "workspace_id": f"WS-{_digest(str(task.get('account_id')))}",
        "seats": 5 if customer.plan == "business" else 1,
    }


def remove_workspace(customer: CustomerSignedUp, task: dict[str, Any]) -> dict[str, Any]:
    return {"removed": task.get("workspace_id")}


def send_welcome(customer: CustomerSignedUp, task: dict[str, Any]) -> dict[str, Any]:
    return {"sent_to": customer.email, "template": f"welcome-{customer.plan}"}


AGENTS: dict[str, Callable[[CustomerSignedUp, dict[str, Any]], dict[str, Any]]] = {
    f"{PREFIX}identity": verify_identity,
    f"{PREFIX}screening": screen_sanctions,
    f"{PREFIX}accounts": open_account,
    f"{PREFIX}close-account": close_account,
    f"{PREFIX}credit": credit_limit,
    f"{PREFIX}workspace": provision_workspace,
    f"{PREFIX}remove-workspace": remove_workspace,
    f"{PREFIX}welcome": send_welcome,
}


def work(task: AgentTask) -> dict[str, Any]:
    """What `task.agent` answers to `task.input` (`customer`: the CustomerSignedUp data, and the agent's other
    fields)."""
    agent, task_input = task.agent, task.input
    if agent not in AGENTS:
        raise AgentRefused("UnknownAgent", f"no onboarding agent is called {agent!r}")
    try:
        customer = CustomerSignedUp.model_validate(task_input.get("customer"))
    except ValueError as error:
        raise AgentRefused("InvalidTaskInput", str(error)[:1000]) from error
    if customer.email.split("@", 1)[0] == f"fail-{agent.removeprefix(PREFIX)}":
        raise AgentRefused("AgentRefused", f"{agent} refuses {customer.email} (test directive)")
    return AGENTS[agent](customer, task_input)
