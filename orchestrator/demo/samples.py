"""The demo's samples: what to put on the bus and what must follow, read from `samples.json` beside this module."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.catalog import event_type_for
from schemas.envelope import EventData

DEFAULT_SAMPLES: Final = Path(__file__).with_name("samples.json")

ExecutionStatus = Literal["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProjectEvent(_Spec):
    """A project event, put through the validating publisher (`LocalCloud.put_event`)."""

    detail_type: str
    correlation_id: str
    data: dict[str, Any]

    @model_validator(mode="after")
    def _honours_its_contract(self) -> ProjectEvent:
        self.model()  # a sample that the publisher would refuse is a mistake in the samples file
        return self

    def model(self) -> EventData:
        return event_type_for(self.detail_type).model_validate(self.data)


class RawEvent(_Spec):
    """An event put as is with PutEvents: what a producer that bypasses the SDK sends."""

    source: str
    detail_type: str
    detail: dict[str, Any]


class Expectation(_Spec):
    execution: ExecutionStatus | None  # the one execution the sample starts; None: none may start
    states: list[str] | None = None  # distinct states visited, in order of first entry (iterations in turn)
    output: dict[str, Any] = Field(default_factory=dict)  # fields of the execution's output
    events: list[str]  # detail types on the bus, the sample's own event included; compared as counts
    quarantined: int = Field(default=0, ge=0)
    dead_lettered: int = Field(default=0, ge=0)


class Sample(_Spec):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,40}$")
    description: str
    event: ProjectEvent | None = None
    raw_event: RawEvent | None = None
    # Events someone outside sends later (an approver's decision): each put once the system is still.
    then: list[ProjectEvent] = Field(default_factory=list)
    advance_clock: bool = False  # after the last event
    expect: Expectation

    @model_validator(mode="after")
    def _one_event(self) -> Sample:
        if (self.event is None) == (self.raw_event is None):
            raise ValueError("a sample has exactly one of `event` and `raw_event`")
        return self


class SamplesFile(_Spec):
    about: list[str] = Field(default_factory=list, alias="_about")
    samples: list[Sample] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> SamplesFile:
        repeated = [name for name, n in Counter(s.name for s in self.samples).items() if n > 1]
        if repeated:
            raise ValueError(f"sample names must be unique: {', '.join(repeated)}")
        return self


def load_samples(path: Path) -> list[Sample]:
    """The samples of a samples file; ValidationError or OSError when it cannot be used."""
    return SamplesFile.model_validate_json(path.read_text(encoding="utf-8")).samples
