"""What every local adapter shares: the clock, the work in flight, the account and region, boto3 clients."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3

from orchestrator.local.activity import Activity
from orchestrator.local.clock import Clock
from orchestrator.local.iam.enforcement import service_client
from orchestrator.local.ledger import Ledger

if TYPE_CHECKING:
    from orchestrator.local.faults import Faults

LOCAL_ACCOUNT = "123456789012"  # moto's default account: the one its backends answer for without credentials
LOCAL_REGION = "us-east-1"

# moto runs Step Functions executions only when asked, and must not look for Docker to run Lambda code.
MOTO_CONFIG: Any = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}


@dataclass
class Runtime:
    clock: Clock = field(default_factory=Clock)
    activity: Activity = None  # type: ignore[assignment]  # made on the clock's ledger unless given
    account: str = LOCAL_ACCOUNT
    region: str = LOCAL_REGION
    session: Any = None
    faults: Faults | None = None  # injected faults (orchestrator/local/faults.py); None: none, and no cost
    # IAM enforced (orchestrator/local/iam/enforcement.py `IamEnforcement`): the services' own deliveries ask it
    # whether a resource policy or a target's role allows them. None: not enforced.
    access: Any = None
    _clients: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.activity = self.activity or Activity(self.clock.ledger)
        # A retry or redelivery timer that fails is a defect of the runtime: recorded, surfaced, never lost.
        self.clock.on_timer_error = lambda error: self.activity.record("clock timer", error)

    @property
    def ledger(self) -> Ledger:
        """Who works and what each waits for (quiet detection reads it); the clock enters its waits there."""
        return self.clock.ledger

    def client(self, service: str) -> Any:
        """A boto3 client of the current moto backend (creating clients is not thread-safe; using them is)."""
        with self._lock:
            if service not in self._clients:
                session = self.session or boto3.Session()
                # The runtime's own work (delivery, pollers, status events) is the services' doing: never evaluated
                # as a principal's call (orchestrator/local/iam/enforcement.py).
                self._clients[service] = service_client(session.client(service, region_name=self.region))
            return self._clients[service]
