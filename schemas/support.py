"""The support domain's events: a customer submits a ticket, the agent pipeline resolves it.

Both carry the source `support.tickets`. `TicketResolved` is emitted by the agent pipeline workflow on behalf of the
support domain, as the order saga emits `OrderCompleted` under `shop.orders`: `source` names the domain the fact
belongs to, not the machinery that produced it (the producer is in the metadata).
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import AwareDatetime, Field, StringConstraints

from schemas.agents import AgentName
from schemas.envelope import EventData, Identifier

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


SUPPORT_EVENTS: tuple[type[EventData], ...] = (TicketSubmitted, TicketResolved)
