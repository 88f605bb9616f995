"""Circuit breakers' events: a breaker guarding a downstream changed state.

Emitted by the process whose conditional write made the change (functions/breaker `EventListener`), once per
transition, so operators and other workflows can react to a downstream going down or coming back without polling the
CircuitBreakers table.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from schemas.envelope import Emitter, EventData, Identifier

BREAKERS_SOURCE = "orchestrator.breakers"

BreakerStateName = Literal["CLOSED", "OPEN", "HALF_OPEN"]


class BreakerStateChanged(EventData):
    DETAIL_TYPE: ClassVar[str] = "BreakerStateChanged"
    SOURCE: ClassVar[str] = BREAKERS_SOURCE
    EMITTED_BY: ClassVar[frozenset[Emitter]] = frozenset({Emitter.WORKFLOWS})
    DESCRIPTION: ClassVar[str] = "A circuit breaker moved from one state to another (OPEN: its downstream is cut off)."

    breaker_id: Identifier = Field(description="Which downstream the breaker guards.")
    previous_state: BreakerStateName
    state: BreakerStateName
    version: int = Field(ge=1, description="The breaker item's version that this change wrote.")
    changed_at: AwareDatetime


EVENTS: tuple[type[EventData], ...] = (BreakerStateChanged,)
