"""What every local adapter shares: the clock, the work in flight, the account and region, boto3 clients."""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
import botocore.loaders
import botocore.session

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

# One botocore loader per data path for the whole process: a loader caches the service models it parsed (~0.1 s of
# JSON per new client otherwise). Models are read-only data. The runtime's own clients use it, and the Lambda
# runtime makes every session of the process use it while it runs handlers (seam BOTOCORE_SHARED_LOADER).
shared_loader = functools.cache(botocore.loaders.create_loader)


def local_session() -> boto3.Session:
    """A boto3 session whose clients read service models through the process's shared loader."""
    core = botocore.session.get_session()
    core.register_component("data_loader", shared_loader(core.get_config_variable("data_path")))
    return boto3.Session(botocore_session=core)


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
                self.session = self.session or local_session()  # one per runtime: its clients share its handlers
                session = self.session
                # The runtime's own work (delivery, pollers, status events) is the services' doing: never evaluated
                # as a principal's call (orchestrator/local/iam/enforcement.py).
                self._clients[service] = service_client(session.client(service, region_name=self.region))
            return self._clients[service]
