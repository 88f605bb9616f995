"""The seams of orchestrator.local.stepfunctions in moto's Step Functions interpreter (moto 5.2.5)."""

from __future__ import annotations

from typing import Final

from orchestrator.local.seams._mechanism import Kind, Seam

_P: Final = "moto.stepfunctions.parser"
_A: Final = f"{_P}.asl"
_ADAPTER: Final = "stepfunctions"


def _seam(
    target: str,
    attribute: str,
    kind: Kind,
    why: str,
    fixes: str,
    signature: tuple[str, ...] | None = None,
    needs: tuple[str, ...] = (),
) -> Seam:
    return Seam(target, attribute, kind, why, fixes, signature, _ADAPTER, needs)


# -- the clock: every wait real time bounds waits on the runtime's clock, every timestamp reads it ------------------
CLOCK_WAIT_STATE = _seam(
    f"{_A}.component.state.wait.wait_function.wait_function.WaitFunction", "_wait_interval", "replace",
    "Wait states (Seconds, SecondsPath, Timestamp, TimestampPath) wait on the clock and end with the execution",
    "waits sleep in real time", ("self", "env", "wait_seconds"),
)  # fmt: skip
CLOCK_TASK_TIMEOUT = _seam(
    f"{_A}.component.state.exec.execute_state", "threading", "replace",
    "a task's TimeoutSeconds is waited on the clock (the Event made inside _evaluate_with_timeout)",
    "task timeouts wait in real time",
)  # fmt: skip
TASK_TIMEOUT_CALLER = _seam(
    f"{_A}.component.state.exec.execute_state.ExecutionState", "_evaluate_with_timeout", "wrap",
    "tells the task's timeout Event which service task it times (task_timeouts.py)",
    "a task's TimeoutSeconds counts from before its TaskStarted event", ("self", "env"),
)  # fmt: skip
TASK_STARTED = _seam(
    f"{_A}.component.state.exec.state_task.service.state_task_service.StateTaskService", "_before_eval_execution",
    "wrap", "a service task's timeout counts from its TaskStarted event (task_timeouts.py)",
    "a task's TimeoutSeconds counts from before its TaskStarted event",
    ("self", "env", "resource_runtime_part", "raw_parameters", "state_credentials"),
)  # fmt: skip
CLOCK_CALLBACK_WAIT = _seam(
    f"{_A}.eval.callback.callback.CallbackEndpoint", "wait", "replace",
    ".waitForTaskToken and activity tasks wait for their outcome on the clock",
    "token waits time out in real time", ("self", "timeout"), ("_notify_event", "_outcome"),
)  # fmt: skip
CLOCK_HEARTBEAT_WAIT = _seam(
    f"{_A}.eval.callback.callback.HeartbeatEndpoint", "clear_and_wait", "replace",
    "HeartbeatSeconds is waited on the clock", "heartbeat waits time out in real time", ("self",),
    ("_mutex", "_next_heartbeat_event", "_heartbeat_seconds"),
)  # fmt: skip
CLOCK_ACTIVITY_START_WAIT = _seam(
    f"{_A}.eval.callback.callback.ActivityTaskStartEndpoint", "wait", "replace",
    "an activity task's wait for a worker is waited on the clock", "activity waits time out in real time",
    ("self", "timeout_seconds"), ("_next_activity_task_start_event", "_outcome"),
)  # fmt: skip
CLOCK_RETRY_ENV = _seam(
    f"{_A}.component.common.retry.retrier_decl.RetrierDecl", "_eval_body", "wrap",
    "tells the retry interval's sleep which execution it belongs to, so it ends when the execution does",
    "a retry interval cannot be cut short", ("self", "env"),
)  # fmt: skip
CLOCK_RETRY_SLEEP = _seam(
    f"{_A}.component.common.retry.retrier_decl", "time", "replace",
    "Retry intervals (IntervalSeconds, BackoffRate) sleep on the clock", "retry intervals sleep in real time",
)  # fmt: skip
CLOCK_PROGRAM_TIMEOUT = _seam(
    f"{_A}.component.program.program.Program", "eval", "replace",
    "the state machine's TimeoutSeconds on the clock; an execution stopped as it starts is stopped at once",
    "the execution timeout joins the worker thread in real time", ("self", "env"),
)  # fmt: skip
CLOCK_EXECUTION_START = _seam(
    f"{_P}.backend.execution.Execution", "start", "wrap",
    "an execution's startDate (and $$.Execution.StartTime) read the clock",
    "execution start dates are real time", ("self",),
)  # fmt: skip
CLOCK_EXECUTION_STOP = _seam(
    f"{_P}.backend.execution.BaseExecutionWorkerCommunication", "_reflect_execution_status", "wrap",
    "an execution's stopDate reads the clock", "execution stop dates are real time", ("self",),
)  # fmt: skip
CLOCK_HISTORY_TIMESTAMPS = _seam(
    f"{_A}.eval.event.event_manager.EventManager", "_get_current_timestamp", "replace",
    "history event timestamps read the clock, so a timeline shows a 24-hour wait as 24 hours",
    "history timestamps are real time", (),
)  # fmt: skip
CLOCK_ENTERED_TIME = _seam(
    f"{_A}.component.state.state", "datetime", "replace",
    "$$.State.EnteredTime reads the clock (set inline in CommonStateField._eval_body: no call to patch)",
    "EnteredTime is real time",
)  # fmt: skip
CLOCK_TIMESTAMP_WAIT = _seam(
    f"{_A}.component.state.wait.wait_function.timestamp.Timestamp", "_get_wait_seconds", "replace",
    "a Timestamp wait counts from the clock's now",
    "the Timestamp wait subtracts local time (naive datetime.now()) from a UTC timestamp", ("self", "env"),
)  # fmt: skip
CLOCK_MAP_RUN_START = _seam(
    f"{_A}.component.state.exec.state_map.iteration.itemprocessor.map_run_record.MapRunRecord", "__init__", "wrap",
    "a Map Run's startDate reads the clock", "Map Run dates are real time",
    ("self", "state_machine_arn", "execution_arn", "max_concurrency", "tolerated_failure_count",
     "tolerated_failure_percentage", "label"),
)  # fmt: skip
CLOCK_MAP_RUN_STOP = _seam(
    f"{_A}.component.state.exec.state_map.iteration.itemprocessor.map_run_record.MapRunRecord", "set_stop", "wrap",
    "a Map Run's stopDate reads the clock", "Map Run dates are real time", ("self", "status"),
)  # fmt: skip

# -- the interpreter's threads and waits in the ledger (quiet detection) -------------------------------------------
# What the threads each module starts do, as the ledger names them; the program's thread is the runtime's own
# (`CLOCK_PROGRAM_TIMEOUT` replaces `Program.eval`), the others moto's, each module's `TMP_THREADS` a seam.
PROGRAM_MODULE: Final = f"{_A}.component.program.program"
INTERPRETER_THREAD_KINDS: Final[dict[str, str]] = {
    PROGRAM_MODULE: "a program",
    f"{_P}.backend.execution_worker": "an execution",
    f"{_A}.component.state.exec.execute_state": "a task",
    f"{_A}.component.state.exec.state_parallel.branch_worker": "a Parallel branch",
    f"{_A}.component.state.exec.state_map.iteration.inline_iteration_component": "a Map iteration",
    f"{_A}.component.state.exec.state_task.service.state_task_service_callback": "a task token wait of a .sync task",
    f"{_A}.component.test_state.program.test_state_program": "a TestState call",
}
INTERPRETER_THREADS = tuple(
    _seam(
        module,
        "TMP_THREADS",
        "replace",
        "each thread the interpreter starts is entered in the ledger as a worker until it ends (threads.py)",
        "moto keeps every thread it ever started on one list, never pruned",
    )  # fmt: skip
    for module in INTERPRETER_THREAD_KINDS
    if module != PROGRAM_MODULE
)
PARALLEL_BRANCHES_WAIT = _seam(
    f"{_A}.component.state.exec.state_parallel.branches_decl", "threading", "replace",
    "a Parallel state's wait for its branches is a named wait on the clock (the Event made in BranchWorkerPool)",
    "(none: the runtime's quiet detection)",
)  # fmt: skip
MAP_ITERATIONS_WAIT = _seam(
    f"{_A}.component.state.exec.state_map.iteration.job", "threading", "replace",
    "a Map state's wait for its iterations is a named wait on the clock (the Event made in JobPool)",
    "(none: the runtime's quiet detection)",
)  # fmt: skip

# -- the execution lifecycle: status-change events, uninstall, redrive ----------------------------------------------
LIFECYCLE_STARTED = _seam(
    f"{_P}.backend.execution.Execution", "start", "wrap",
    "an execution counts as running from its start: RUNNING status-change event, stopped by uninstall()",
    "moto sends no status-change events", ("self",),
)  # fmt: skip
LIFECYCLE_ENDED = _seam(
    f"{_P}.backend.execution.BaseExecutionWorkerCommunication", "terminated", "wrap",
    "the final status-change event (SUCCEEDED, FAILED, TIMED_OUT, ABORTED) once moto set the final status",
    "moto sends no status-change events", ("self",),
)  # fmt: skip
LIFECYCLE_REFUSE_WHEN_CLOSING = _seam(
    f"{_P}.models.StepFunctionsParserBackend", "start_execution", "wrap",
    "StartExecution is refused once uninstall() began, so no execution outlives the runtime",
    "(none: the runtime's own lifecycle)", ("self", "state_machine_arn", "name", "execution_input", "trace_header"),
)  # fmt: skip
LIFECYCLE_UNNAMED_EXECUTION = _seam(
    f"{_P}.models.StepFunctionsParserBackend", "start_execution", "wrap",
    "EventBridge targets start executions unnamed; each gets a UUID as on AWS",
    'an unnamed execution is named "None", and the next unnamed start collides with it',
    ("self", "state_machine_arn", "name", "execution_input", "trace_header"),
)  # fmt: skip
REDRIVE_BACKEND = _seam(
    f"{_P}.models.StepFunctionsParserBackend", "redrive_execution", "add",
    "RedriveExecution restarts a failed, timed-out or aborted execution where it stopped (redrive.py)",
    "moto has no RedriveExecution",
)  # fmt: skip
REDRIVE_RESPONSE = _seam(
    "moto.stepfunctions.responses.StepFunctionResponse", "redrive_execution", "add",
    "the RedriveExecution action of the API", "moto has no RedriveExecution",
)  # fmt: skip

# -- versions and aliases: executions started through a qualified ARN (qualified.py) -------------------------------
QUALIFIED_START = _seam(
    f"{_P}.models.StepFunctionsParserBackend", "start_execution", "wrap",
    "StartExecution through an alias runs a version drawn by the alias's weights, through a version that version, "
    "kept as the state machine's execution with the version (and alias) it ran",
    "an alias ARN is StateMachineDoesNotExist, a version ARN an AttributeError",
    ("self", "state_machine_arn", "name", "execution_input", "trace_header"),
)  # fmt: skip
DESCRIBE_EXECUTION_QUALIFIERS = _seam(
    "moto.stepfunctions.responses.StepFunctionResponse", "describe_execution", "wrap",
    "DescribeExecution answers stateMachineVersionArn and stateMachineAliasArn",
    "no version or alias in DescribeExecution", ("self",),
)  # fmt: skip
LIST_EXECUTIONS_QUALIFIERS = _seam(
    "moto.stepfunctions.responses.StepFunctionResponse", "list_executions", "wrap",
    "ListExecutions' items name the version and the alias each execution was started with",
    "no version or alias in ListExecutions", ("self",),
)  # fmt: skip
DEFINITION_FOR_EXECUTION = _seam(
    "moto.stepfunctions.responses.StepFunctionResponse", "describe_state_machine_for_execution", "replace",
    "DescribeStateMachineForExecution answers the definition the execution runs (its version's)",
    "it answers the state machine's latest definition", ("self",),
)  # fmt: skip

# -- task tokens, heartbeats and stops: fixes of moto defects -------------------------------------------------------
STOP_RELEASES_CALLBACKS = _seam(
    f"{_A}.eval.environment.Environment", "set_stop", "wrap",
    "StopExecution releases a task waiting for its token",
    "a stopped execution whose task waits for its token stays RUNNING forever",
    ("self", "stop_date", "cause", "error"),
)  # fmt: skip
TIMEOUT_RELEASES_CALLBACKS = _seam(
    f"{_A}.eval.environment.Environment", "set_timed_out", "wrap",
    "the state machine's timeout releases a task waiting for its token",
    "a timed-out execution whose task waits for its token stays RUNNING", ("self",),
)  # fmt: skip
ENDED_STAYS_ENDED = _seam(
    f"{_A}.eval.environment.Environment", "set_error", "wrap",
    "a stopped or timed-out execution stays ABORTED / TIMED_OUT",
    "an error raised by a state half-way through when stopped turns ABORTED into FAILED (States.Runtime)",
    ("self", "error"),
)  # fmt: skip
INTERRUPTED_TASK_RECORDS_NOTHING = _seam(
    f"{_A}.component.state.exec.execute_state.ExecutionState", "_evaluate_with_timeout", "wrap",
    "a task interrupted by a stop or time-out records no outcome, as AWS records only ExecutionAborted/TimedOut",
    "the interrupted task is recorded as a task failure, which a Catch can route on", ("self", "env"),
)  # fmt: skip
TOKEN_PER_ATTEMPT = _seam(
    f"{_A}.component.state.exec.execute_state.ExecutionState", "_evaluate_with_timeout", "wrap",
    "each retry of a .waitForTaskToken task gets a token of its own, as on AWS",
    "a retry reuses the failed attempt's token and fails at once with its old outcome", ("self", "env"),
)  # fmt: skip
TIMED_OUT_TASK_RELEASES_WAIT = _seam(
    f"{_A}.component.state.exec.execute_state.ExecutionState", "_evaluate_with_timeout", "wrap",
    "a task ended by its TimeoutSeconds stops waiting for its token",
    "the token (or heartbeat) wait of a timed-out task runs on, a stray waiter on the clock", ("self", "env"),
)  # fmt: skip
HEARTBEAT_TIMEOUT_ERROR = _seam(
    f"{_A}.component.state.exec.state_task.state_task.StateTask", "_from_error", "wrap",
    "a missed heartbeat fails with States.HeartbeatTimeout, as on AWS",
    "a missed heartbeat fails with States.Timeout (HeartbeatTimeoutError is a TimeoutError)", ("self", "env", "ex"),
)  # fmt: skip
SEND_TASK_FAILURE_CAUSE = _seam(
    "moto.stepfunctions.responses.StepFunctionResponse", "send_task_failure", "replace",
    "SendTaskFailure's cause reaches the task's failure", "SendTaskFailure drops `cause`", ("self",),
)  # fmt: skip
DESCRIBE_EXECUTION_OUTPUT_AS_JSON = _seam(
    "moto.stepfunctions.responses.StepFunctionResponse", "describe_execution", "wrap",
    "DescribeExecution's output is JSON text, a string output too (stepfunctions/outputs.py)",
    "a string output is answered unquoted: `yes` for \"yes\"", ("self",),
)  # fmt: skip
EARLY_HEARTBEAT_REMEMBERED = _seam(
    f"{_A}.eval.callback.callback.CallbackEndpoint", "notify_heartbeat", "wrap",
    "a heartbeat sent before the task set up its heartbeat wait is remembered (in-process agents answer fast)",
    "an early SendTaskHeartbeat is answered InvalidToken", ("self",), ("_heartbeat_endpoint",),
)  # fmt: skip
EARLY_OUTCOME_HEARD = _seam(
    f"{_A}.eval.callback.callback.CallbackEndpoint", "setup_heartbeat_endpoint", "wrap",
    "a heartbeat or outcome that came before the heartbeat wait was set up is heard at once",
    "an early SendTaskSuccess is stored but never read while the heartbeat loop waits",
    ("self", "heartbeat_seconds"), ("_heartbeat_endpoint",),
)  # fmt: skip
EXECUTIONS_WITH_AN_ENV = _seam(
    f"{_P}.models.StepFunctionsParserBackend", "_get_executions", "replace",
    "SendTaskSuccess/Failure/Heartbeat skip executions whose worker has not made its env yet",
    "they fail with AttributeError while another execution is starting", ("self", "execution_status"),
)  # fmt: skip

# -- throughput: work moto repeats for every execution, done once ---------------------------------------------------
PARSE_ONCE = _seam(
    f"{_P}.backend.execution_worker.ExecutionWorker", "_get_evaluation_entrypoint", "replace",
    "each state machine definition is parsed once and its program reused by every execution (parsing.py)",
    "every execution parses its definition with ANTLR again", ("self",), ("_evaluation_details",),
)  # fmt: skip
VALIDATE_FROM_PARSE_CACHE = _seam(
    f"{_P}.models.StepFunctionsParserBackend", "_validate_definition", "replace",
    "CreateStateMachine validates the definition by parsing it into the process's parse cache (parsing.py)",
    "a definition is parsed to be validated, the result thrown away, and parsed again by its first execution; "
    "an invalid one is refused with an empty error code rather than InvalidDefinition",
    ("definition",),
)  # fmt: skip
PARSER_SCOPES_PER_PARSE = _seam(
    f"{_A}.parse.preprocessor.Preprocessor", "__init__", "add",
    "each parse keeps its QueryLanguage scopes to itself, so definitions parse from several threads at once and "
    "after a refused one (parsing.py)",
    "the scopes are one class-level list: a parse on another thread, or one refused half-way, leaves JSONata on it "
    "and a JSONPath definition is refused (\"Unsupported declaration in QueryLanguage=JSONPath block\")",
    needs=("_query_language_per_scope",),
)  # fmt: skip
SHARED_SERVICE_CLIENTS = tuple(
    _seam(
        f"{_A}.component.state.exec.{module}",
        "boto_client_for",
        "replace",
        "tasks share one boto3 client per service, region and endpoint (clients.py)",
        "every service task builds a new boto3 client",
        ("region", "service", "state_credentials"),
    )  # fmt: skip
    for module in (
        "state_map.result_writer.resource_eval.resource_eval_s3",
        "state_map.item_reader.eval.resource_eval_s3",
        "state_task.lambda_eval_utils",
        *(
            f"state_task.service.state_task_service_{service}"
            for service in ("aws_sdk", "batch", "dynamodb", "ecs", "events", "glue", "sfn", "sns", "sqs", "unsupported")
        ),
    )
)

SEAMS: Final[tuple[Seam, ...]] = (
    CLOCK_WAIT_STATE,
    CLOCK_TASK_TIMEOUT,
    TASK_TIMEOUT_CALLER,
    TASK_STARTED,
    CLOCK_CALLBACK_WAIT,
    CLOCK_HEARTBEAT_WAIT,
    CLOCK_ACTIVITY_START_WAIT,
    CLOCK_RETRY_ENV,
    CLOCK_RETRY_SLEEP,
    CLOCK_PROGRAM_TIMEOUT,
    CLOCK_EXECUTION_START,
    CLOCK_EXECUTION_STOP,
    CLOCK_HISTORY_TIMESTAMPS,
    CLOCK_ENTERED_TIME,
    CLOCK_TIMESTAMP_WAIT,
    CLOCK_MAP_RUN_START,
    CLOCK_MAP_RUN_STOP,
    *INTERPRETER_THREADS,
    PARALLEL_BRANCHES_WAIT,
    MAP_ITERATIONS_WAIT,
    LIFECYCLE_STARTED,
    LIFECYCLE_ENDED,
    LIFECYCLE_UNNAMED_EXECUTION,
    LIFECYCLE_REFUSE_WHEN_CLOSING,
    REDRIVE_BACKEND,
    REDRIVE_RESPONSE,
    QUALIFIED_START,
    DESCRIBE_EXECUTION_QUALIFIERS,
    LIST_EXECUTIONS_QUALIFIERS,
    DEFINITION_FOR_EXECUTION,
    STOP_RELEASES_CALLBACKS,
    TIMEOUT_RELEASES_CALLBACKS,
    ENDED_STAYS_ENDED,
    INTERRUPTED_TASK_RECORDS_NOTHING,
    TOKEN_PER_ATTEMPT,
    TIMED_OUT_TASK_RELEASES_WAIT,
    HEARTBEAT_TIMEOUT_ERROR,
    SEND_TASK_FAILURE_CAUSE,
    DESCRIBE_EXECUTION_OUTPUT_AS_JSON,
    EARLY_HEARTBEAT_REMEMBERED,
    EARLY_OUTCOME_HEARD,
    EXECUTIONS_WITH_AN_ENV,
    PARSE_ONCE,
    VALIDATE_FROM_PARSE_CACHE,
    *SHARED_SERVICE_CLIENTS,
    PARSER_SCOPES_PER_PARSE,
)
