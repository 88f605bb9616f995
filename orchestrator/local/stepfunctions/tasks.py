"""Task tokens, heartbeats and stops in moto's Step Functions interpreter: fixes of moto 5.2.5, each as small as the
defect (the seams are declared in orchestrator/local/seams/stepfunctions.py):

- StopExecution leaves an execution whose task waits for its token RUNNING forever: nothing releases the callback
  wait. Stopping (or the state machine timing out) now releases it;
- a task interrupted that way would then be recorded as a task failure, which a Catch could even route on; AWS
  records only `ExecutionAborted` / `ExecutionTimedOut`, and now so does moto;
- a missed heartbeat fails with `States.Timeout` (moto's HeartbeatTimeoutError is a TimeoutError); AWS and now moto
  say `States.HeartbeatTimeout`;
- SendTaskFailure drops `cause`: the response handler never reads it;
- a `.waitForTaskToken` task's heartbeat endpoint exists only once the service call returned: an agent that
  heartbeats or answers before that (ours run in-process, so they can) is now heard, as on AWS;
- SendTaskSuccess/Failure/Heartbeat failed with AttributeError while another execution was starting;
- a task ended by its TimeoutSeconds left its token (or heartbeat) wait running on the clock;
- a retry of a `.waitForTaskToken` task reused the failed attempt's token;
- an error raised by a state half-way through when the execution was stopped turned ABORTED into FAILED;
- an unnamed StartExecution was named "None".
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any, Final

from moto.core.responses import EmptyResult

from orchestrator.local import seams
from orchestrator.local.seams import MotoSeamError, SeamSet
from orchestrator.local.seams import stepfunctions as declared

_A: Final[str] = "moto.stepfunctions.parser.asl"


def bind_fixes(seam_set: SeamSet) -> None:
    """Binds the fixes of moto's task-token, heartbeat and stop handling into `seam_set`."""
    _stop_releases_callbacks(seam_set)
    _an_ended_program_stays_ended(seam_set)
    _interrupted_task_records_nothing(seam_set)
    _each_attempt_gets_its_own_token(seam_set)
    _timed_out_task_releases_its_wait(seam_set)
    _heartbeat_timeout_error(seam_set)
    seam_set.replace(declared.SEND_TASK_FAILURE_CAUSE, _send_task_failure)
    seam_set.replace(declared.EXECUTIONS_WITH_AN_ENV, _executions_with_an_env)
    _early_heartbeats(seam_set)


def _stop_releases_callbacks(seam_set: SeamSet) -> None:
    """A task waiting for SendTaskSuccess (or a heartbeat, or an activity worker) waits on its callback endpoint
    only: when the execution is stopped or times out, release every such wait so the execution can end."""
    if "_pool" not in getattr(seams.read(f"{_A}.eval.callback.callback.CallbackPoolManager"), "__annotations__", {}):
        raise MotoSeamError(f"{_A}.eval.callback.callback.CallbackPoolManager no longer keeps its endpoints in `_pool`")

    def releasing(original: Callable[..., None]) -> Callable[..., None]:
        def release_after(env: Any, *args: Any, **kwargs: Any) -> None:
            original(env, *args, **kwargs)
            for endpoint in list(env.callback_pool_manager._pool.values()):
                endpoint.interrupt_all()

        return release_after

    seam_set.wrap(declared.STOP_RELEASES_CALLBACKS, releasing)
    seam_set.wrap(declared.TIMEOUT_RELEASES_CALLBACKS, releasing)


def _an_ended_program_stays_ended(seam_set: SeamSet) -> None:
    """moto skips every component of a program no longer running (EvalComponent.eval), which can leave a state
    that was half-way through (a Retry working out its interval, say) reading the wrong value off its stack when
    the execution is stopped: the error then raised overwrote ABORTED (or TIMED_OUT) with a States.Runtime
    failure. On AWS a stopped or timed-out execution stays so."""
    ended = (
        seams.read(f"{_A}.eval.program_state.ProgramStopped"),
        seams.read(f"{_A}.eval.program_state.ProgramTimedOut"),
    )

    def keeping_an_end(original: Callable[..., None]) -> Callable[..., None]:
        def set_error(env: Any, *args: Any, **kwargs: Any) -> None:
            if not isinstance(env.program_state(), ended):
                original(env, *args, **kwargs)

        return set_error

    seam_set.wrap(declared.ENDED_STAYS_ENDED, keeping_an_end)


def _interrupted_task_records_nothing(seam_set: SeamSet) -> None:
    """Once the execution was stopped or timed out, the task it interrupted ends without an outcome: AWS records
    `ExecutionAborted` / `ExecutionTimedOut`, not a task failure that a Catch could route somewhere."""

    def recording_nothing_once_ended(original: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
        def evaluate_with_timeout(state: Any, env: Any) -> None:
            try:
                original(state, env)
            except Exception:
                if env.is_running():
                    raise

        return evaluate_with_timeout

    seam_set.wrap(declared.INTERRUPTED_TASK_RECORDS_NOTHING, recording_nothing_once_ended)


def _each_attempt_gets_its_own_token(seam_set: SeamSet) -> None:
    """moto makes a waitForTaskToken task's token once per state (`StateTaskServiceCallback._eval_body`), before the
    retry loop, so a retry reuses the token of the failed attempt, whose callback still holds that failure: the
    retry sends the work out again and fails at once with the old outcome, and so does every retry after it. AWS
    gives each attempt a token of its own; so does this, for every attempt after the first."""

    def renewing(original: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
        def evaluate_with_timeout(state: Any, env: Any) -> None:
            context = env.states.context_object
            if "Task" in context.context_object_data and context.context_object_data["State"]["RetryCount"] > 0:
                env.callback_pool_manager.add(context.update_task_token())
            original(state, env)

        return evaluate_with_timeout

    seam_set.wrap(declared.TOKEN_PER_ATTEMPT, renewing)


def _timed_out_task_releases_its_wait(seam_set: SeamSet) -> None:
    """When TimeoutSeconds ends a task that waits for its token, moto leaves that wait running on the task's own
    thread (execute_state.py:199) until a heartbeat or the token wait itself times out: a stray waiter on the clock,
    taken for a waiting execution. AWS forgets the task at once; release the wait (only this task's)."""

    eval_timeout_error = seams.read(f"{_A}.component.common.timeouts.timeout.EvalTimeoutError")

    def releasing(original: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
        def evaluate_with_timeout(state: Any, env: Any) -> None:
            try:
                original(state, env)
            except eval_timeout_error:
                token = env.states.context_object.context_object_data.get("Task", {}).get("Token")
                endpoint = env.callback_pool_manager.get(token) if token else None
                if endpoint is not None:
                    endpoint.interrupt_all()
                raise

        return evaluate_with_timeout

    seam_set.wrap(declared.TIMED_OUT_TASK_RELEASES_WAIT, releasing)


def _heartbeat_timeout_error(seam_set: SeamSet) -> None:
    """moto reports a missed heartbeat as `States.Timeout` (its HeartbeatTimeoutError is a TimeoutError, and
    `StateTask._from_error` maps every TimeoutError to that); AWS reports `States.HeartbeatTimeout`."""
    error_names = f"{_A}.component.common.error_name"
    heartbeat_timeout = seams.read(f"{error_names}.states_error_name.StatesErrorName")(
        typ=seams.read(f"{error_names}.states_error_name_type.StatesErrorNameType").StatesHeartbeatTimeout
    )
    heartbeat_timeout_error = seams.read(f"{_A}.eval.callback.callback.HeartbeatTimeoutError")
    failure_event = seams.read(f"{error_names}.failure_event.FailureEvent")
    event_details = seams.read(f"{_A}.eval.event.event_detail.EventDetails")

    def renaming_heartbeat_timeouts(
        original: Callable[[Any, Any, Exception], Any],
    ) -> Callable[[Any, Any, Exception], Any]:
        def from_error(state: Any, env: Any, ex: Exception) -> Any:
            failure = original(state, env, ex)
            if not isinstance(ex, heartbeat_timeout_error):
                return failure
            details = {
                key: {**value, "error": heartbeat_timeout.error_name} for key, value in failure.event_details.items()
            }
            return failure_event(
                env=env,
                error_name=heartbeat_timeout,
                event_type=failure.event_type,
                event_details=event_details(**details),
            )

        return from_error

    seam_set.wrap(declared.HEARTBEAT_TIMEOUT_ERROR, renaming_heartbeat_timeouts)


def _early_heartbeats(seam_set: SeamSet) -> None:
    """moto sets up a `.waitForTaskToken` task's heartbeat endpoint only after the service call returned and
    TaskSubmitted was recorded (state_task_service_callback.py:175). A worker that answers faster (ours run in the
    same process) is told InvalidToken for an early SendTaskHeartbeat (callback.py:143), and an early
    SendTaskSuccess is stored but never read, as the heartbeat loop waits for a heartbeat. On AWS the token is
    valid as soon as the task started: an early heartbeat is now remembered (and answered OK), and the heartbeat
    endpoint, once set up, is notified at once if a heartbeat or an outcome came first."""
    early = threading.Lock()  # a heartbeat is either remembered before the set-up or sent to what it set up

    def remembering(original: Callable[[Any], bool]) -> Callable[[Any], bool]:
        def notify_heartbeat(endpoint: Any) -> bool:
            with early:
                if endpoint._heartbeat_endpoint is None:
                    endpoint.local_early_heartbeat = True
                    return True
            return original(endpoint)

        return notify_heartbeat

    def notifying_at_once(original: Callable[[Any, int], Any]) -> Callable[[Any, int], Any]:
        def setup_heartbeat_endpoint(endpoint: Any, heartbeat_seconds: int) -> Any:
            with early:
                heartbeat = original(endpoint, heartbeat_seconds)
                heard = getattr(endpoint, "local_early_heartbeat", False)
            # An outcome stored before the set-up: `notify` stores it, then looks for the heartbeat endpoint; this
            # looks for the outcome after setting the endpoint up, so one of the two sees the other.
            if heard or endpoint.get_outcome() is not None:
                heartbeat.notify()
            return heartbeat

        return setup_heartbeat_endpoint

    seam_set.wrap(declared.EARLY_HEARTBEAT_REMEMBERED, remembering)
    seam_set.wrap(declared.EARLY_OUTCOME_HEARD, notifying_at_once)


def _executions_with_an_env(backend: Any, execution_status: Any = None) -> list[Any]:
    """moto's `_get_executions` (parser/models.py:49) without the executions whose worker has not created its env
    yet: SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat read `execution.exec_worker.env` of every one it
    returns, and failed with AttributeError while any other execution was starting (or created but not started,
    whose `status` itself raises)."""
    return [
        execution
        for state_machine in backend.state_machines
        for execution in state_machine.executions
        if execution.exec_worker is not None
        and execution.exec_worker.env is not None
        and (execution_status is None or execution.status == execution_status)
    ]


def _send_task_failure(response: Any) -> Any:
    """moto's SendTaskFailure handler with the `cause` it drops passed on to the backend."""
    response.stepfunction_backend.send_task_failure(
        response._get_param("taskToken"), error=response._get_param("error"), cause=response._get_param("cause")
    )
    return EmptyResult()


def named_by_default(original: Callable[..., Any]) -> Callable[..., Any]:
    """An unnamed StartExecution gets a UUID as AWS gives it. moto 5.2.5 names it "None" (parser/models.py:205),
    and every later unnamed start of that state machine then collides with it: ExecutionAlreadyExists for another
    input, or the earlier execution returned for the same one. EventBridge targets start executions unnamed."""

    def start_execution(backend: Any, state_machine_arn: str, name: Any = None, *args: Any, **kwargs: Any) -> Any:
        return original(backend, state_machine_arn, name or str(uuid.uuid4()), *args, **kwargs)

    return start_execution
