"""The shipped reasoner: deterministic keyword triage, specialist findings, scenario directives, the reply."""

from __future__ import annotations

from typing import Any

import pytest

from functions.agents.reasoning import (
    REASONERS,
    AgentRecord,
    Finding,
    ReasoningError,
    ReasoningStalled,
    RuleReasoner,
    TriageDecision,
    reasoner_named,
)
from functions.settings import SettingsError
from schemas.support import TicketSubmitted
from tests.builders import ticket

REASONER = RuleReasoner()


def _ticket(subject: str = "Help", body: str = "Please help.", **fields: Any) -> TicketSubmitted:
    return TicketSubmitted.model_validate(ticket(subject=subject, body=body, **fields))


@pytest.mark.parametrize(
    ("subject", "body", "agents"),
    [
        ("Charged twice", "I was charged twice and now I cannot log in.", ("billing", "account")),
        ("App crashes", "The app crashes with an error on start.", ("technical",)),
        (
            "Refund",
            "My invoice is wrong, my password expired and the site is slow.",
            ("billing", "technical", "account"),
        ),
        ("Hello", "Where is your office?", ("general",)),
    ],
    ids=["billing-and-account", "technical", "all-three-in-specialist-order", "nothing-claims-it"],
)
def test_triage_picks_the_specialists_whose_words_the_ticket_uses(
    subject: str, body: str, agents: tuple[str, ...]
) -> None:
    decision = REASONER.triage(_ticket(subject, body))

    assert decision.agents == agents


def test_triage_says_which_words_chose_each_specialist() -> None:
    decision = REASONER.triage(_ticket("Charged twice", "Refund please, I cannot log in to my account."))

    assert decision.as_dict() == {
        "agents": ["billing", "account"],
        "reasons": {"billing": ["charged", "refund"], "account": ["account", "log in"]},
    }


def test_words_inside_other_words_and_directives_do_not_count() -> None:
    # "billboard" holds "bill", "emails" holds "email"; the directive names billing but is not the customer's words.
    decision = REASONER.triage(_ticket("Billboard", "Your emails are lovely. [fail:billing]"))

    assert decision.agents == ("general",)


def test_a_triage_decision_names_at_least_one_specialist_once() -> None:
    with pytest.raises(ValueError, match="at least one"):
        TriageDecision(())
    with pytest.raises(ValueError, match="each specialist once"):
        TriageDecision(("billing", "billing"))


def test_a_specialist_finds_the_actions_its_rules_match() -> None:
    finding = REASONER.investigate(
        "billing", _ticket("Charged twice", "Duplicate charge, I want a refund.", priority="urgent")
    )

    assert finding == Finding(
        "billing",
        "Billing reviewed ticket ticket-2001 (urgent priority).",
        ("refund the duplicate charge", "open a refund review"),
    )
    assert finding.as_output() == {
        "agent": "billing",
        "summary": "Billing reviewed ticket ticket-2001 (urgent priority).",
        "actions": ["refund the duplicate charge", "open a refund review"],
    }


def test_a_specialist_with_no_matching_rule_takes_its_default_action() -> None:
    assert REASONER.investigate("technical", _ticket("Odd", "Something is odd.")).actions == (
        "reproduce the problem with the details given",
    )


def test_the_same_ticket_gets_the_same_answers() -> None:
    one, two = _ticket("Locked", "My account is locked."), _ticket("Locked", "My account is locked.")

    assert REASONER.triage(one) == RuleReasoner().triage(two)
    assert REASONER.investigate("account", one) == RuleReasoner().investigate("account", two)


def test_an_unknown_specialist_is_a_task_the_reasoner_cannot_do() -> None:
    with pytest.raises(ReasoningError) as caught:
        REASONER.investigate("legal", _ticket())

    assert caught.value.error == "UnknownAgent"
    assert "'legal'" in caught.value.cause


def test_a_fail_directive_fails_only_the_specialist_it_names() -> None:
    charged = _ticket("Charged twice", "Charged twice, cannot log in. [FAIL:billing]")

    with pytest.raises(ReasoningError) as caught:
        REASONER.investigate("billing", charged)

    assert caught.value.error == "AgentFailed"
    assert REASONER.investigate("account", charged).agent == "account"


def test_a_stall_directive_makes_the_specialist_go_silent() -> None:
    with pytest.raises(ReasoningStalled):
        REASONER.investigate("account", _ticket("Locked", "Locked out. [stall:account]"))


def test_the_reply_lists_each_answer_and_owns_up_to_what_is_missing() -> None:
    records = [
        AgentRecord("billing", "succeeded", Finding("billing", "ok", ("refund the duplicate charge",))),
        AgentRecord("account", "timed_out", error="States.HeartbeatTimeout"),
    ]

    reply = REASONER.synthesize(_ticket("Charged twice"), records)

    assert reply.resolution == "partial"
    assert reply.text.splitlines() == [
        'Thank you for contacting us about "Charged twice".',
        "Billing: we will refund the duplicate charge.",
        "Our account security team could not finish reviewing your ticket yet; a person will follow up.",
    ]


@pytest.mark.parametrize(
    ("statuses", "resolution"),
    [
        (("succeeded", "succeeded"), "answered"),
        (("succeeded", "failed"), "partial"),
        (("failed", "timed_out"), "unanswered"),
    ],
)
def test_the_resolution_says_how_many_specialists_answered(statuses: tuple[str, str], resolution: str) -> None:
    finding = Finding("billing", "ok", ("act",))
    records = [
        AgentRecord(agent, status, finding if status == "succeeded" else None)  # type: ignore[arg-type]
        for agent, status in zip(("billing", "technical"), statuses, strict=True)
    ]

    assert REASONER.synthesize(_ticket(), records).resolution == resolution


def test_the_configured_reasoner_is_found_by_name_and_an_unknown_name_names_the_setting() -> None:
    assert isinstance(reasoner_named("offline"), RuleReasoner)
    assert set(REASONERS) == {"offline"}
    with pytest.raises(SettingsError, match=r"REASONER: no reasoner named 'bedrock'; known: offline"):
        reasoner_named("bedrock")
