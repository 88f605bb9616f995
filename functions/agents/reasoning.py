"""Agent reasoning behind a port: what the triage, specialist and synthesis agents decide about a support ticket.

`Reasoner` is the port every agent thinks with. The shipped `RuleReasoner` is deterministic and offline (keyword
rules, fixed wording, no model, no network), so the pipeline runs the same in tests, in the local runtime and on
AWS. A model provider (e.g. Bedrock) is another implementation of the same three methods, added to `REASONERS` and
chosen by configuration: `agent_pipeline.reasoner` in `config/stages.json` becomes each function's `REASONER`.

Scenario directives: the rule reasoner obeys `[fail:<agent>]` and `[stall:<agent>]` in a ticket's body, so that the
demo and the workflow tests can reach the paths a real provider reaches by accident: a specialist that cannot do
its task (`ReasoningError`, reported as AgentTaskFailed) and one that goes silent after accepting it
(`ReasoningStalled`: no answer ever comes, the workflow's heartbeat timeout decides).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from functions.settings import SettingsError
from schemas.support import Resolution, TicketSubmitted

# The specialists, in the order triage lists them. `general` answers what no other specialist's rules claim.
SPECIALISTS: tuple[str, ...] = ("billing", "technical", "account", "general")
FALLBACK_SPECIALIST = "general"

AgentStatus = Literal["succeeded", "failed", "timed_out"]


@dataclass(frozen=True)
class TriageDecision:
    """Which specialists a ticket needs (at least one, no repeats) and, for each, the words that chose it."""

    agents: tuple[str, ...]
    reasons: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.agents or len(set(self.agents)) != len(self.agents):
            raise ValueError(f"a triage decision names each specialist once and at least one, not {self.agents}")

    def as_dict(self) -> dict[str, Any]:
        return {"agents": list(self.agents), "reasons": {a: list(self.reasons.get(a, ())) for a in self.agents}}


@dataclass(frozen=True)
class Finding:
    """What one specialist concluded about a ticket: a summary and the actions it takes or recommends."""

    agent: str
    summary: str
    actions: tuple[str, ...] = ()

    def as_output(self) -> dict[str, Any]:
        """The `output` of the agent's AgentTaskCompleted event."""
        return {"agent": self.agent, "summary": self.summary, "actions": list(self.actions)}


@dataclass(frozen=True)
class AgentRecord:
    """What became of one dispatched specialist, as the workflow hands it to synthesis."""

    agent: str
    status: AgentStatus
    finding: Finding | None = None
    error: str = ""
    cause: str = ""


@dataclass(frozen=True)
class Reply:
    """The answer to the customer and how complete it is."""

    text: str
    resolution: Resolution


class ReasoningError(Exception):
    """The reasoner cannot do this task, and trying again will not help.

    `error` is a short name (it becomes the Step Functions error a Catch matches), `cause` the explanation.
    """

    def __init__(self, error: str, cause: str) -> None:
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause


class ReasoningStalled(Exception):
    """The reasoner accepted the task and will never answer it (a hung model call, a lost worker)."""


class Reasoner(Protocol):
    """Port: the judgement of the pipeline's agents.

    - `triage` picks the specialists a ticket needs, at least one, from `SPECIALISTS`;
    - `investigate` is one specialist's work on a ticket; it raises `ReasoningError` for a task it cannot do,
      `ReasoningStalled` for one it will never answer, and any other exception for a transient fault (the message
      is then redelivered);
    - `synthesize` writes the reply from every specialist's record, including those that failed or timed out.
    """

    def triage(self, ticket: TicketSubmitted) -> TriageDecision: ...

    def investigate(self, agent: str, ticket: TicketSubmitted) -> Finding: ...

    def synthesize(self, ticket: TicketSubmitted, records: Sequence[AgentRecord]) -> Reply: ...


# Keyword rules: a ticket whose words include one of these goes to that specialist. Phrases match as written.
_TRIAGE_KEYWORDS: Mapping[str, tuple[str, ...]] = {
    "billing": ("bill", "billing", "charge", "charged", "invoice", "payment", "price", "refund", "subscription"),
    "technical": ("bug", "crash", "crashes", "error", "broken", "install", "slow", "timeout", "not working"),
    "account": ("account", "login", "log in", "password", "locked", "sign in", "username", "2fa", "email"),
}

# Per specialist: (keywords, action) rules, and the action when none matches.
_ACTIONS: Mapping[str, tuple[tuple[tuple[str, ...], str], ...]] = {
    "billing": (
        (("twice", "duplicate", "double"), "refund the duplicate charge"),
        (("refund",), "open a refund review"),
        (("invoice",), "send a corrected invoice"),
        (("subscription", "cancel"), "review the subscription plan"),
    ),
    "technical": (
        (("crash", "crashes", "error"), "collect the error report and escalate it to engineering"),
        (("slow", "timeout"), "check the service health for this customer"),
        (("install",), "send the installation guide"),
    ),
    "account": (
        (("password", "login", "log in", "sign in", "locked"), "send a secure sign-in reset link"),
        (("2fa",), "reset two-factor authentication after identity checks"),
        (("email", "username"), "confirm the account's contact details"),
    ),
    "general": (),
}
_DEFAULT_ACTION: Mapping[str, str] = {
    "billing": "review the account's recent charges",
    "technical": "reproduce the problem with the details given",
    "account": "review the account's security settings",
    "general": "route the ticket to the support team's queue",
}
_TITLES: Mapping[str, str] = {
    "billing": "Billing",
    "technical": "Technical support",
    "account": "Account security",
    "general": "Customer support",
}
_DIRECTIVE = re.compile(r"\[(fail|stall):([a-z][a-z0-9-]{0,62})\]")
_WORD = re.compile(r"[a-z0-9]+")


class RuleReasoner:
    """The shipped reasoner: deterministic keyword rules, offline. Same ticket, same answers."""

    def triage(self, ticket: TicketSubmitted) -> TriageDecision:
        text = _text(ticket)
        reasons = {agent: _matches(text, keywords) for agent, keywords in _TRIAGE_KEYWORDS.items()}
        chosen = tuple(agent for agent in SPECIALISTS if reasons.get(agent))
        if not chosen:
            return TriageDecision((FALLBACK_SPECIALIST,), {FALLBACK_SPECIALIST: ()})
        return TriageDecision(chosen, {agent: reasons[agent] for agent in chosen})

    def investigate(self, agent: str, ticket: TicketSubmitted) -> Finding:
        if agent not in SPECIALISTS:
            raise ReasoningError("UnknownAgent", f"no specialist named {agent!r}; known: {', '.join(SPECIALISTS)}")
        directive = _directives(ticket.body).get(agent)
        if directive == "fail":
            raise ReasoningError("AgentFailed", f"the {agent} specialist was told to fail by ticket {ticket.ticket_id}")
        if directive == "stall":
            raise ReasoningStalled(f"the {agent} specialist was told to stall by ticket {ticket.ticket_id}")
        text = _text(ticket)
        actions = tuple(action for keywords, action in _ACTIONS[agent] if _matches(text, keywords))
        actions = actions or (_DEFAULT_ACTION[agent],)
        summary = f"{_TITLES[agent]} reviewed ticket {ticket.ticket_id} ({ticket.priority} priority)."
        return Finding(agent, summary, actions)

    def synthesize(self, ticket: TicketSubmitted, records: Sequence[AgentRecord]) -> Reply:
        lines = [f'Thank you for contacting us about "{ticket.subject}".']
        missing: list[str] = []
        for record in records:
            title = _TITLES.get(record.agent, record.agent)
            if record.status == "succeeded" and record.finding is not None:
                lines.append(f"{title}: we will {'; '.join(record.finding.actions)}.")
            else:
                missing.append(title.lower())
        if missing:
            teams = ", ".join(missing)
            lines.append(f"Our {teams} team could not finish reviewing your ticket yet; a person will follow up.")
        answered = len(records) - len(missing)
        resolution: Resolution = "answered" if not missing else "partial" if answered else "unanswered"
        return Reply("\n".join(lines), resolution)


def _text(ticket: TicketSubmitted) -> str:
    """Subject and body, lower case, directives removed (they steer the reasoner, they are not the customer's words)."""
    return " ".join(_WORD.findall(_DIRECTIVE.sub(" ", f"{ticket.subject} {ticket.body}".lower())))


def _matches(text: str, keywords: Sequence[str]) -> tuple[str, ...]:
    """The keywords found in `text` as whole words (or whole phrases), in the order given."""
    padded = f" {text} "
    return tuple(keyword for keyword in keywords if f" {keyword} " in padded)


def _directives(body: str) -> dict[str, str]:
    return {agent: verb for verb, agent in _DIRECTIVE.findall(body.lower())}


# Reasoners by the name configuration uses. A model provider registers its factory here.
REASONERS: Mapping[str, Callable[[], Reasoner]] = {"offline": RuleReasoner}


class ReasonerSettings(BaseModel):
    """The setting every reasoning function has: which reasoner it thinks with (`REASONER`)."""

    reasoner: str = Field(default="offline", min_length=1)


def reasoner_named(name: str) -> Reasoner:
    """The reasoner configuration calls `name`; SettingsError for a name nobody registered."""
    factory = REASONERS.get(name)
    if factory is None:
        raise SettingsError(f"REASONER: no reasoner named {name!r}; known: {', '.join(sorted(REASONERS))}")
    return factory()
