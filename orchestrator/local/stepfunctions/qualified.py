"""Executions started through a version's or an alias's ARN (a *qualified* ARN), as Step Functions runs them.

moto 5.2.5 cannot start one: an alias ARN is StateMachineDoesNotExist (its DescribeStateMachine resolves version ARNs
only, models.py:707), and a version ARN fails with AttributeError (a version has no `_handle_name_input_idempotency`);
its execution would be kept on the version, where DescribeExecution, ListExecutions and task tokens never look.

As the API reference (StartExecution, DescribeExecution, ListExecutions) and the developer guide ("How Step Functions
associates executions with a version or alias") describe it:
- through a version ARN, the execution runs that version's definition and is associated with the version only;
- through an alias ARN, it runs one of the alias's versions, drawn by their weights (`AliasRouter`), and is
  associated with the alias and that version;
- either way it is its state machine's execution: `execution:<machine name>:<name>`, its name unique among the
  machine's executions, listed under the machine and described, answered (task tokens), stopped and redriven as the
  others; DescribeExecution's `stateMachineArn` is the machine's, `stateMachineVersionArn` and `stateMachineAliasArn`
  say what it was started with, in ListExecutions' items and status-change events too.
DescribeStateMachineForExecution answers the definition the execution runs (the version's), not the machine's latest.
Not done: ListExecutions of a version's ARN answers nothing and of an alias's ARN StateMachineDoesNotExist, as moto
does (AWS lists the executions associated with them); list the state machine's and read their qualifiers instead.
"""

from __future__ import annotations

import copy
import datetime
import json
import random
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from moto.core.responses import ActionResult

from orchestrator.local.iam.requests import split_qualifier
from orchestrator.local.seams import SeamSet, read
from orchestrator.local.seams import stepfunctions as declared


class AliasRouter:
    """Which version an alias sends an execution to: a draw by the routing's weights. Seeded, a run's draws repeat:
    N starts through an alias split between its versions the same way every run (whichever start gets which)."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng or random.Random()
        self._lock = threading.Lock()  # the draws of concurrent starts come one at a time off the seeded sequence

    def choose(self, routing: Sequence[Mapping[str, Any]]) -> str:
        """The version ARN one execution goes to, of an alias's `routingConfiguration` (weights 0 to 100)."""
        versions = [str(route["stateMachineVersionArn"]) for route in routing]
        weights = [int(route["weight"]) for route in routing]
        with self._lock:
            return self._rng.choices(versions, weights=weights)[0]


def bind_qualified_starts(seam_set: SeamSet, router: AliasRouter) -> None:
    """StartExecution through a version or an alias, and the API answers that say which one an execution ran.
    Bound before the lifecycle's wraps of StartExecution: a start those refuse (or name) comes here after them."""
    starts = _QualifiedStarts(router)
    seam_set.wrap(declared.QUALIFIED_START, starts.routing)
    seam_set.wrap(declared.DESCRIBE_EXECUTION_QUALIFIERS, _describing_qualifiers)
    seam_set.wrap(declared.LIST_EXECUTIONS_QUALIFIERS, _listing_qualifiers)
    seam_set.replace(declared.DEFINITION_FOR_EXECUTION, _definition_for_execution)


def qualifiers(execution: Any) -> dict[str, str]:
    """`stateMachineVersionArn` and `stateMachineAliasArn` of an execution, where it has them."""
    found = {
        "stateMachineVersionArn": getattr(execution, "state_machine_version_arn", None),
        "stateMachineAliasArn": getattr(execution, "state_machine_alias_arn", None),
    }
    return {key: value for key, value in found.items() if value is not None}


class _QualifiedStarts:
    def __init__(self, router: AliasRouter) -> None:
        self._router = router
        # moto's names, read when bound: a moved one fails the install, not a start.
        self._execution = read("moto.stepfunctions.parser.backend.execution.Execution")
        # moto's own error, which its responses answer with its code (the interpreter's answers none).
        self._invalid_input = read("moto.stepfunctions.exceptions.InvalidExecutionInput")
        self._no_alias = read("moto.stepfunctions.exceptions.ResourceNotFound")
        self._no_machine = read("moto.stepfunctions.exceptions.StateMachineDoesNotExist")

    def routing(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def start_execution(
            backend: Any,
            state_machine_arn: str,
            name: Any = None,
            execution_input: Any = None,
            trace_header: Any = None,
        ) -> Any:
            qualified = split_qualifier(state_machine_arn)
            if qualified is None:
                return original(backend, state_machine_arn, name, execution_input, trace_header)
            machine = backend.describe_state_machine(qualified[0])  # StateMachineDoesNotExist for an unknown one
            version_arn, alias_arn = self._resolve(backend, state_machine_arn, qualified[1])
            version = backend.describe_state_machine(version_arn)
            return self._start(backend, machine, version, alias_arn, name, execution_input, trace_header)

        return start_execution

    def _resolve(self, backend: Any, arn: str, qualifier: str) -> tuple[str, str | None]:
        """(the version the execution runs, the alias it was started through)."""
        if qualifier.isdigit():
            return arn, None
        try:
            alias = backend.describe_state_machine_alias(arn)
        except self._no_alias:
            # StartExecution answers no ResourceNotFound: an unknown alias is an unknown state machine.
            raise self._no_machine(f"State Machine Does Not Exist: '{arn}'") from None
        return self._router.choose(alias.routing_configuration), str(alias.arn)

    def _start(
        self,
        backend: Any,
        machine: Any,
        version: Any,
        alias_arn: str | None,
        name: str,
        execution_input: str | None,
        trace_header: Any,
    ) -> Any:
        """What moto's StartExecution does (parser/models.py `start_execution`), the version's definition run and the
        execution kept on its state machine."""
        existing = machine._handle_name_input_idempotency(name, execution_input)
        if existing is not None:  # the same name and input while it runs: the same execution, as on AWS
            return existing
        input_data = "{}" if execution_input is None else execution_input
        try:
            json.loads(input_data)
        except ValueError as error:
            raise self._invalid_input(f"Invalid State Machine Execution Input: '{error}'") from None
        snapshot = copy.deepcopy(version)  # what the execution runs, whatever happens to the version later
        partition, region, account = backend.partition, backend.region_name, backend.account_id
        execution = self._execution(
            name=name,
            sm_type=snapshot.sm_type,
            role_arn=snapshot.roleArn,
            exec_arn=f"arn:{partition}:states:{region}:{account}:execution:{machine.name}:{name}",
            account_id=account,
            region_name=region,
            state_machine=snapshot,
            start_date=datetime.datetime.now(datetime.UTC),  # the clock's, once started (timing.py)
            cloud_watch_logging_session=None,
            input_data=input_data,
            trace_header=trace_header,
            activity_store={},
        )
        execution.state_machine_arn = machine.arn  # moto would name the version: AWS names the machine
        execution.state_machine_version_arn = version.arn
        execution.state_machine_alias_arn = alias_arn
        machine.executions.append(execution)
        execution.start()
        return execution


def _describing_qualifiers(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def describe_execution(response: Any) -> Any:
        answer = original(response)
        execution = response.stepfunction_backend.describe_execution(answer.result["executionArn"])
        answer.result.update(qualifiers(execution))
        return answer

    return describe_execution


def _listing_qualifiers(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def list_executions(response: Any) -> Any:
        answer = original(response)
        if answer.result["executions"]:
            machine = response.stepfunction_backend.describe_state_machine(response._get_param("stateMachineArn"))
            executions = {execution.execution_arn: execution for execution in machine.executions}
            for item in answer.result["executions"]:
                item.update(qualifiers(executions[item["executionArn"]]))
        return answer

    return list_executions


def _definition_for_execution(response: Any) -> Any:
    """DescribeStateMachineForExecution: the state machine as the execution runs it (moto describes the machine as it
    is now: after an update, or for an execution of a version, another definition)."""
    execution = response.stepfunction_backend.describe_execution(response._get_param("executionArn"))
    ran = execution.state_machine  # the snapshot taken at its start
    return ActionResult(
        {
            "stateMachineArn": execution.state_machine_arn,
            "name": ran.name,
            "definition": ran.definition,
            "roleArn": ran.roleArn,
            "updateDate": ran.update_date,
            "loggingConfiguration": ran.loggingConfiguration,
            "tracingConfiguration": ran.tracingConfiguration,
        }
    )
