"""The support domain's events: a customer submits a ticket, the agent pipeline drafts a reply, a person approves
it (`ApprovalDecided` on `approval_id` = the ticket id) and the ticket is resolved; a rejected draft or an approval
that never comes ends the pipeline with `TicketReplyRejected` or `TicketEscalated` for a person to take over.

Both carry the source `support.tickets`. `TicketResolved` is emitted by the agent pipeline workflow on behalf of the
support domain, as the order saga emits `OrderCompleted` under `shop.orders`: `source` names the domain the fact
belongs to, not the machinery that produced it (the producer is in the metadata).
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import AwareDatetime, Field, StringConstraints

from schemas.agents import AgentName
from schemas.envelope import Emitter, EventData, Identifier, NonEmptyStr

SUPPORT_SOURCE = "support.tickets"

TicketPriority = Literal["low", "normal", "high", "urgent"]
TicketSubject = Annotated[str, StringConstraints(min_length=1, max_length=256)]
TicketBody = Annotated[str, StringConstraints(min_length=1, max_length=16_384)]
# "answered": every specialist consulted answered; "partial": some failed or timed out and the reply says so;
# "unanswered": none could answer, the reply tells the customer a person will follow up.
Resolution = Literal["answered", "partial", "unanswered"]


class TicketSubmitted(EventData):
    DETAIL_TYPE: ClassVar[str] = "TicketSubmitted"
    SOURCE: ClassVar[str] = SUPPORT_SOURCE
    EMITTED_BY: ClassVar[frozenset[Emitter]] = frozenset({Emitter.PRODUCERS})
    BUSINESS_KEY: ClassVar[str | None] = "ticket_id"
    DESCRIPTION: ClassVar[str] = "A customer submitted a support ticket; starts the agent pipeline."

    ticket_id: Identifier
    customer_id: Identifier
    subject: TicketSubject
    body: TicketBody
    priority: TicketPriority = "normal"
    submitted_at: AwareDatetime | None = Field(default=None, description="When the customer submitted it, if known.")


class TicketResolved(EventData):
    DETAIL_TYPE: ClassVar[str] = "TicketResolved"
    SOURCE: ClassVar[str] = SUPPORT_SOURCE
    EMITTED_BY: ClassVar[frozenset[Emitter]] = frozenset({Emitter.WORKFLOWS})
    DESCRIPTION: ClassVar[str] = "The agent pipeline wrote the reply to a ticket from its specialists' findings."

    ticket_id: Identifier
    customer_id: Identifier
    reply: TicketBody
    resolution: Resolution
    agents_consulted: list[AgentName] = Field(
        min_length=1, max_length=40, description="Every specialist the ticket was dispatched to, in triage order."
    )
    agents_failed: list[AgentName] = Field(
        default_factory=list, max_length=40, description="Those that failed or timed out; a subset of the consulted."
    )


class TicketReplyRejected(EventData):
    DETAIL_TYPE: ClassVar[str] = "TicketReplyRejected"
    SOURCE: ClassVar[str] = SUPPORT_SOURCE
    EMITTED_BY: ClassVar[frozenset[Emitter]] = frozenset({Emitter.WORKFLOWS})
    DESCRIPTION: ClassVar[str] = "The reviewer rejected the drafted reply; nothing was sent, a person writes it."

    ticket_id: Identifier
    customer_id: Identifier
    draft_reply: TicketBody
    rejected_by: NonEmptyStr
    comment: Annotated[str, StringConstraints(max_length=4096)] = ""


class TicketEscalated(EventData):
    DETAIL_TYPE: ClassVar[str] = "TicketEscalated"
    SOURCE: ClassVar[str] = SUPPORT_SOURCE
    EMITTED_BY: ClassVar[frozenset[Emitter]] = frozenset({Emitter.WORKFLOWS})
    DESCRIPTION: ClassVar[str] = "Nobody decided on the drafted reply in time; the ticket goes to a person."

    ticket_id: Identifier
    customer_id: Identifier
    draft_reply: TicketBody
    reason: Literal["approval_timed_out"]
    waited_seconds: int = Field(ge=1)


EVENTS: tuple[type[EventData], ...] = (TicketSubmitted, TicketResolved, TicketReplyRejected, TicketEscalated)
