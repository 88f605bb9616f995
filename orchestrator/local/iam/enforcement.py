"""IAM enforced on the local runtime: every AWS call a principal makes is evaluated as AWS evaluates it, and a call
its policies do not allow fails with the service's AccessDenied error, before it reaches moto.

Who calls (the *acting principal*, per thread):
- a Lambda handler, while it runs: its function's role (orchestrator/local/lambdas pushes it with `acting_as`), as
  an assumed-role session named after the function, as Lambda's credentials are;
- a state machine's service integration (`lambda:invoke`, `dynamodb:putItem`, `aws-sdk:*`, ...), made by a thread of
  its execution: the state machine's role (`RoleArn`), a session named after the execution;
- nothing else is a principal: the operator (the `orch` CLI, tests, the AWS CLI against `orch local up`) acts with
  the developer's own rights, as an administrator, and the local runtime's own work (EventBridge delivering to a
  target, a poller reading a queue for Lambda, a status-change event) is the services' own doing, made through the
  runtime's clients (`service_client`), which are never evaluated. A call from a thread a handler started itself is
  not attributed to it (not evaluated).

Why the acting principal is per thread rather than read from the request's credentials: the local runtime runs many
functions in one process, and boto3 caches credentials in its default session, so a client made in one function
could carry another's keys. On Lambda each function is a process of its own: the thread is what tells them apart.

The seam is botocore's `BaseClient._make_api_call` (declared in orchestrator/local/seams/services.py): the call as
the SDK makes it (service, operation, parameters), before it is signed and sent. What each call is authorized on is
requests.py's; the evaluation is evaluation.py's; the roles are principals.py's.
"""

from __future__ import annotations

import hashlib
import re
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final

from orchestrator.local.iam.evaluation import Decision, Request, evaluate
from orchestrator.local.iam.principals import Principals, Role
from orchestrator.local.iam.put_events import entry_refusal, may_put_on_bus
from orchestrator.local.iam.requests import IAM_PREFIXES, Authorization, Call, authorization_on, authorizations
from orchestrator.local.iam.resource_policies import (
    create_permission,
    create_queue_policy,
    function_policy,
    queue_policy,
)
from orchestrator.local.seams import SeamSet
from orchestrator.local.seams import services as declared

# The error each service answers a denied call with, and its HTTP status (AWS's; the JSON services answer 400).
DENIED_ERRORS: Final = {
    "lambda": ("AccessDeniedException", 403),
    "sqs": ("AccessDenied", 403),
    "sns": ("AuthorizationError", 403),
    "cloudwatch": ("AccessDenied", 403),
    "sts": ("AccessDenied", 403),
    "iam": ("AccessDenied", 403),
    "s3": ("AccessDenied", 403),
}
DEFAULT_DENIED_ERROR: Final = ("AccessDeniedException", 400)
_EXECUTION_ARN: Final = re.compile(r"arn:aws:states:([^:]*):(\d+):(?:execution|express):([^:]+):(.+)")
_SERVICE_CLIENT: Final = "_local_runtime_service_client"
PUT_EVENTS: Final = ("events", "PutEvents")  # authorized per entry (put_events.py)
CALLER_IDENTITY: Final = ("sts", "GetCallerIdentity")  # answered with the acting principal's assumed-role identity


@dataclass(frozen=True)
class Acting:
    """A principal acting: its role, and the session name of its credentials."""

    role_arn: str
    session: str

    def arn(self, account: str) -> str:
        name = self.role_arn.rsplit("/", 1)[-1]
        return f"arn:aws:sts::{account}:assumed-role/{name}/{self.session}"


_local = threading.local()


@contextmanager
def acting_as(role_arn: str, session: str) -> Iterator[None]:
    """The calling thread's AWS calls are made as `role_arn` until the block ends (nests)."""
    stack: list[Acting] = _local.__dict__.setdefault("stack", [])
    stack.append(Acting(role_arn, session))
    try:
        yield
    finally:
        stack.pop()


def service_client(client: Any) -> Any:
    """Marks a client of the local runtime's own work: its calls are the services' doing, never evaluated."""
    setattr(client, _SERVICE_CLIENT, True)
    return client


@dataclass
class AccessLog:
    """What was evaluated: allowed (principal, action, resource) counts, every denial, and the statements used."""

    allowed: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    denied: list[tuple[str, str, str, str]] = field(default_factory=list)  # (principal, action, resource, why)
    used: set[tuple[str, int]] = field(default_factory=set)  # (statement source, index)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self) -> tuple[Counter[tuple[str, str, str]], list[tuple[str, str, str, str]], set[tuple[str, int]]]:
        """Copies of (allowed, denied, used), taken while no call is being recorded."""
        with self._lock:
            return Counter(self.allowed), list(self.denied), set(self.used)

    def record(self, role: str, authorization: Authorization, decision: Any) -> None:
        key = (role, authorization.action, authorization.resource)
        with self._lock:
            if decision.allowed:
                self.allowed[key] += 1
            else:
                self.denied.append((*key, decision.decision.value))
            self.used.update((s.source, s.index) for s in (*decision.allowed_by, *decision.denied_by))


class IamEnforcement:
    """The adapter: provisions the template's roles (`creators`) and evaluates every principal's call once
    installed. `execution_of_thread` tells which execution the calling thread works for (Step Functions' threads)."""

    def __init__(self, account: str, execution_of_thread: Callable[[], str | None]) -> None:
        self.account = account
        self.principals = Principals()
        self.log = AccessLog()
        self._execution_of_thread = execution_of_thread
        self._seams: SeamSet | None = None
        self._machine_roles: dict[str, str] = {}

    def creators(self) -> dict[str, Any]:
        return {
            **self.principals.creators(),
            "AWS::SQS::QueuePolicy": create_queue_policy,
            "AWS::Lambda::Permission": create_permission,
        }

    # -- the services' own deliveries (orchestrator/local/delivery) ------------------------------------------------

    def permit_role(self, role_arn: str | None, action: str, resource: str, client: Any) -> None:
        """A service acting with a role it was given (a rule target's RoleArn, a function's execution role for its
        event-source mapping): raises AccessDenied, as the service would get it, unless the role may do `action` on
        `resource`. No role: nothing allows it."""
        service, operation = action.split(":", 1)
        if not role_arn:
            message = f"the target names no role (RoleArn) for EventBridge to assume: it may not {action} {resource}"
            raise _access_denied(client, service, operation, message)
        # A target naming a state machine's alias is authorized as a start through it (`authorization_on`).
        self._check(client, Acting(role_arn, "events"), service, operation, [authorization_on(action, resource)])

    def permit_delivery(self, service: str, action: str, resource: str, source_arn: str, client: Any) -> None:
        """A service principal (`events.amazonaws.com`) delivering for `source_arn` (the rule): raises AccessDenied
        unless the resource's policy allows it (queue policy, Lambda permission)."""
        policy = queue_policy(resource) if action.startswith("sqs:") else function_policy(resource)
        context = {"aws:SourceArn": source_arn, "aws:SourceAccount": self.account}
        evaluation = evaluate(Request(service, action, resource, context), (), policy)
        self.log.record(service, Authorization(action, resource, context), evaluation)
        if not evaluation.allowed:
            target_service, operation = action.split(":", 1)
            message = f"{service} is not authorized to perform: {action} on resource: {resource} (for {source_arn}) "
            raise _access_denied(
                client, target_service, operation, message + "because no resource-based policy allows it"
            )

    def summary(self) -> str:
        roles = len(self.principals.roles)
        return f"IAM enforced: {roles} roles, {self.principals.statement_count} policy statements loaded"

    def install(self) -> None:
        if self._seams is not None:
            return
        seam_set = SeamSet("IamEnforcement")
        enforcement = self

        def checked(original: Callable[..., Any]) -> Callable[..., Any]:
            def _make_api_call(client: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
                if not getattr(client, _SERVICE_CLIENT, False):
                    acting = enforcement.acting()
                    call = (client.meta.service_model.service_name, operation_name)
                    if acting is not None and call == PUT_EVENTS:
                        return enforcement.put_events(client, acting, api_params, original)
                    if acting is not None and call == CALLER_IDENTITY:
                        return enforcement.caller_identity(acting)
                    if acting is not None:
                        enforcement.authorize(client, acting, operation_name, api_params)
                return original(client, operation_name, api_params)

            return _make_api_call

        seam_set.wrap(declared.BOTOCORE_API_CALL, checked)
        seam_set.apply()
        self._seams = seam_set

    def uninstall(self) -> None:
        if self._seams is not None:
            self._seams.undo()
            self._seams = None

    def acting(self) -> Acting | None:
        """The principal the calling thread acts as (None: the operator, or the runtime's own work)."""
        stack = _local.__dict__.get("stack")
        if stack:
            return stack[-1]  # type: ignore[no-any-return]
        execution = self._execution_of_thread()
        if execution is None:
            return None
        found = _EXECUTION_ARN.fullmatch(execution)
        if found is None:
            return None
        region, account, machine, name = found.groups()
        machine_arn = f"arn:aws:states:{region}:{account}:stateMachine:{machine}"
        return Acting(self._machine_role(machine_arn), name)

    def authorize(self, client: Any, acting: Acting, operation: str, params: dict[str, Any]) -> None:
        """Raises the service's AccessDenied error unless every request of the call is allowed for `acting`."""
        model = client.meta.service_model
        service = IAM_PREFIXES.get(model.service_name, model.service_name)
        call = Call(service, operation, params, client.meta.region_name, self.account)
        requests = authorizations(call, _Lookups(self.account, client.meta.region_name))
        self._check(client, acting, service, operation, requests)

    def caller_identity(self, acting: Acting) -> dict[str, Any]:
        """What STS answers a principal's GetCallerIdentity: its assumed-role session (the role's unique id, made up
        but stable per role, then the session name), as a Lambda function's or a state machine's credentials are."""
        role_id = "AROA" + hashlib.sha1(acting.role_arn.encode(), usedforsecurity=False).hexdigest()[:17].upper()
        return {
            "UserId": f"{role_id}:{acting.session}",
            "Account": self.account,
            "Arn": acting.arn(self.account),
            "ResponseMetadata": {"HTTPStatusCode": 200, "RequestId": str(uuid.uuid4())},
        }

    def put_events(
        self, client: Any, acting: Acting, params: dict[str, Any], original: Callable[..., Any]
    ) -> dict[str, Any]:
        """PutEvents authorized per entry (put_events.py): the allowed entries are put, the others fail alone, and
        a principal that may put nothing on the bus is refused the whole call."""
        call = Call("events", "PutEvents", params, client.meta.region_name, self.account)
        requests = authorizations(call, _Lookups(self.account, client.meta.region_name))
        role = self.principals.role(acting.role_arn)
        statements = role.statements if role is not None else ()
        principal = acting.arn(self.account)
        verdicts = []
        for authorization in requests:
            request = Request(principal, authorization.action, authorization.resource, authorization.context)
            evaluation = evaluate(request, statements)
            self.log.record(acting.role_arn, authorization, evaluation)
            verdicts.append((request, evaluation))
        if all(evaluation.allowed for _, evaluation in verdicts):
            return original(client, "PutEvents", params)  # type: ignore[no-any-return]
        refused = [(a, e) for a, (_, e) in zip(requests, verdicts, strict=True) if not e.allowed]
        authorization, evaluation = refused[0]
        if not may_put_on_bus(principal, authorization.resource, statements):
            raise _denied(client, "PutEvents", "events", principal, authorization, evaluation.decision, role)
        entries = list(params.get("Entries", []))
        allowed = [entry for entry, (_, e) in zip(entries, verdicts, strict=True) if e.allowed]
        response = original(client, "PutEvents", {**params, "Entries": allowed}) if allowed else {}
        sent = iter(response.get("Entries", []))
        results: list[dict[str, Any]] = []
        for request, evaluation in verdicts:
            if evaluation.allowed:
                results.append(next(sent))
            else:
                code, message = entry_refusal(request, statements)
                results.append({"ErrorCode": code, "ErrorMessage": message})
        failed = sum(1 for result in results if "ErrorCode" in result)
        return {**response, "FailedEntryCount": failed, "Entries": results}

    def _check(self, client: Any, acting: Acting, service: str, operation: str, requests: list[Authorization]) -> None:
        role = self.principals.role(acting.role_arn)
        principal = acting.arn(self.account)
        for authorization in requests:
            evaluation = evaluate(
                Request(principal, authorization.action, authorization.resource, authorization.context),
                role.statements if role is not None else (),
            )
            self.log.record(acting.role_arn, authorization, evaluation)
            if not evaluation.allowed:
                raise _denied(client, operation, service, principal, authorization, evaluation.decision, role)

    def _machine_role(self, machine_arn: str) -> str:
        if machine_arn not in self._machine_roles:
            from moto.stepfunctions.parser.models import stepfunctions_parser_backends

            region = machine_arn.split(":")[3]
            backend = stepfunctions_parser_backends[self.account][region]
            machine = next((m for m in backend.state_machines if m.arn == machine_arn), None)
            self._machine_roles[machine_arn] = str(machine.roleArn) if machine is not None else ""
        return self._machine_roles[machine_arn]


def _denied(
    client: Any,
    operation: str,
    service: str,
    principal: str,
    authorization: Authorization,
    decision: Decision,
    role: Role | None,
) -> Exception:
    """The service's AccessDenied error for a principal's call, worded as AWS words it."""
    action, resource = authorization.action, authorization.resource
    if role is None:
        why = "because the role is not one of the template's (no identity-based policy allows anything)"
    elif decision is Decision.EXPLICIT_DENY:
        why = "with an explicit deny in an identity-based policy"
    else:
        why = f"because no identity-based policy allows the {action} action"
    message = f"User: {principal} is not authorized to perform: {action} on resource: {resource} {why}"
    return _access_denied(client, service, operation, message)


def _access_denied(client: Any, service: str, operation: str, message: str) -> Exception:
    """`service`'s AccessDenied error (its code and status, DENIED_ERRORS) as `client` raises it. The response has a
    RequestId: moto's Step Functions integrations read it when they turn the error into a task failure."""
    code, status = DENIED_ERRORS.get(service, DEFAULT_DENIED_ERROR)
    response = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": str(uuid.uuid4())},
    }
    return client.exceptions.from_code(code)(response, operation)  # type: ignore[no-any-return]


class _Lookups:
    """requests.Lookups on the current moto backends."""

    def __init__(self, account: str, region: str) -> None:
        self._account, self._region = account, region

    def partition_key(self, table_name: str) -> str | None:
        from moto.dynamodb.models import dynamodb_backends

        table = dynamodb_backends[self._account][self._region].tables.get(table_name)
        return None if table is None else str(table.hash_key_attr)

    def state_machine_of_token(self, task_token: str) -> str | None:
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        backend = stepfunctions_parser_backends[self._account][self._region]
        for machine in backend.state_machines:
            for execution in machine.executions:
                worker = getattr(execution, "exec_worker", None)
                pool = getattr(getattr(worker, "env", None), "callback_pool_manager", None)
                if pool is not None and pool.get(task_token) is not None:
                    found = _EXECUTION_ARN.fullmatch(execution.execution_arn)
                    if found is not None:
                        region, account, name, _ = found.groups()
                        return f"arn:aws:states:{region}:{account}:stateMachine:{name}"
        return None
