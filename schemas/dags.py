"""Declarative DAG workflows' events: a task's completion signal, and the customer onboarding DAG's start event.

`DagTaskFinished` is how a task of a DAG part that is not series-parallel tells one dependent, in another Parallel
branch of the same execution, that it is done (asl/dag/signals.py): one event per edge, keyed by
`signal_id` (a hash of the execution and the edge), which the correlator pairs with the dependent's waiter.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, StringConstraints

from schemas.agents import WORKFLOWS_SOURCE
from schemas.envelope import Emitter, EventData, Identifier, NonEmptyStr

DagTaskName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,29}$")]


class DagTaskFinished(EventData):
    DETAIL_TYPE: ClassVar[str] = "DagTaskFinished"
    SOURCE: ClassVar[str] = WORKFLOWS_SOURCE
    EMITTED_BY: ClassVar[frozenset[Emitter]] = frozenset({Emitter.WORKFLOWS})
    DESCRIPTION: ClassVar[str] = "A task of a DAG workflow finished (or was skipped); resumes one dependent task."

    dag: NonEmptyStr
    task: DagTaskName
    dependent: DagTaskName
    signal_id: Identifier = Field(description="The correlation key: a hash of the execution and the edge.")
    status: Literal["succeeded", "skipped"]
    result: dict[str, Any] | None = Field(default=None, description="The task's output; null when skipped.")


class CustomerSignedUp(EventData):
    DETAIL_TYPE: ClassVar[str] = "CustomerSignedUp"
    SOURCE: ClassVar[str] = "shop.customers"
    EMITTED_BY: ClassVar[frozenset[Emitter]] = frozenset({Emitter.PRODUCERS})
    BUSINESS_KEY: ClassVar[str | None] = "customer_id"
    SENSITIVE: ClassVar[frozenset[str]] = frozenset({"name", "email"})
    DESCRIPTION: ClassVar[str] = "A customer signed up; starts the customer onboarding DAG."

    customer_id: Identifier
    name: NonEmptyStr
    email: Annotated[str, StringConstraints(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    plan: Literal["personal", "business"] = "personal"


EVENTS: tuple[type[EventData], ...] = (DagTaskFinished, CustomerSignedUp)
