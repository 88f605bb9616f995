"""The seams of the local runtime in moto's Lambda, EventBridge, DynamoDB and SQS, and in its JSONata (moto 5.2.5)."""

from __future__ import annotations

from typing import Final

from orchestrator.local.seams._mechanism import Seam

_INVOKE: Final = ("self", "function_name", "qualifier", "body", "headers", "response_headers")
_JSONATA: Final = "moto.stepfunctions.parser.asl"
_DYNAMODB: Final = "moto.dynamodb.models.DynamoDBBackend"
_DYNAMODB_SIGNATURES: Final[dict[str, tuple[str, ...]]] = {
    "get_item": ("self", "table_name", "keys", "projection_expressions"),
    "put_item": (
        "self", "table_name", "item_attrs", "expected", "condition_expression", "expression_attribute_names",
        "expression_attribute_values", "overwrite", "return_values_on_condition_check_failure",
    ),
    "update_item": (
        "self", "table_name", "key", "update_expression", "expression_attribute_names",
        "expression_attribute_values", "attribute_updates", "expected", "condition_expression",
        "return_values_on_condition_check_failure",
    ),
    "delete_item": (
        "self", "table_name", "key", "expression_attribute_names", "expression_attribute_values",
        "condition_expression", "return_values_on_condition_check_failure",
    ),
    "transact_write_items": ("self", "transact_items"),
    "query": (
        "self", "table_name", "hash_key_dict", "range_comparison", "range_value_dicts", "limit",
        "exclusive_start_key", "scan_index_forward", "projection_expressions", "index_name", "consistent_read",
        "expr_names", "expr_values", "filter_expression", "hash_key_conditions", "range_key_conditions",
        "filter_kwargs",
    ),
    "scan": (
        "self", "table_name", "filters", "limit", "exclusive_start_key", "filter_expression", "expr_names",
        "expr_values", "index_name", "consistent_read", "projection_expression", "segments",
    ),
}  # fmt: skip

# -- Lambda ------------------------------------------------------------------------------------------------------
LAMBDA_INVOKE = tuple(
    Seam(
        target,
        "invoke",
        "wrap",
        "Invoke (boto3, Step Functions lambda:invoke tasks, moto's own callers) runs the registered handler in-process",
        "with use_docker False moto answers every invoke with the request body",
        _INVOKE,
        "lambdas",
    )  # fmt: skip
    for target in ("moto.awslambda.models.LambdaBackend", "moto.awslambda_simple.models.LambdaSimpleBackend")
)

BOTOCORE_API_CALL = Seam(
    "botocore.client.BaseClient", "_make_api_call", "wrap",
    "every AWS call a principal makes (a handler as its function's role, a state machine's integration as its "
    "role) is evaluated against its policies before it is sent (iam/enforcement.py)",
    "(botocore, not moto: moto does not evaluate IAM unless asked, and then mostly on resource '*')",
    ("self", "operation_name", "api_params"), "iam",
)  # fmt: skip

BOTOCORE_SHARED_LOADER = Seam(
    "botocore.session", "create_loader", "replace",
    "every botocore session of the process shares one loader per data path, so a handler's cold start in each new "
    "local cloud reads no service model twice (lambdas/runtime.py)",
    "(botocore, not moto: each new session scans the data directories and parses each model again)",
    ("search_path_string",), "lambdas",
)  # fmt: skip

OS_ENVIRON = Seam(
    "os", "environ", "replace",
    "each invocation reads and writes the environment of its own execution environment, every other thread the "
    "process's, so handlers run concurrently without a process-wide lock (lambdas/environ.py)",
    "(Python, not moto: os.environ is one for the whole process, where each Lambda execution environment has its own)",
    None, "lambdas",
)  # fmt: skip

BOTO3_DEFAULT_SESSION = Seam(
    "boto3", "_get_default_session", "wrap",
    "`boto3.client(...)` in a handler builds from its execution environment's own session (lambdas/pool.py)",
    "(boto3, not moto: one default session per process, not thread-safe to build clients from, where each Lambda "
    "execution environment has its own)",
    (), "lambdas",
)  # fmt: skip

MOTO_ACTION_NAMES = Seam(
    "moto.core.responses", "method_names_from_class", "wrap",
    "each response class's methods are listed once, not at every request (computed_once.py)",
    "moto lists the class's members with inspect.getmembers at every call it answers", ("clazz",), "computed_once",
)  # fmt: skip
MOTO_BACKEND_URLS = Seam(
    "moto.core.base_backend.BaseBackend", "urls", "replace",
    "each backend's URL map is built once, not at every request (computed_once.py)",
    "moto's stubber builds the backend's URL map at every call it answers", None, "computed_once",
)  # fmt: skip
DYNAMODB_CONDITION_TOKENS = Seam(
    "moto.dynamodb.comparisons.ConditionExpressionParser", "_lex_condition_expression", "wrap",
    "a condition expression's text is lexed once, not at every conditional write (computed_once.py)",
    "moto lexes the expression at every write, twice (the response checks it, the table applies it)", ("self",),
    "computed_once",
)  # fmt: skip
MOTO_SERVICE_LOADER = Seam(
    "moto.core.utils", "create_loader", "replace",
    "moto's service models are read through one loader of its own, which lists botocore's data directory once per "
    "kind of file (computed_once.py)",
    "moto makes a new loader for each service model it reads, and each lists the ~450 service directories again",
    (), "computed_once",
)  # fmt: skip

# -- SQS event-source mappings -------------------------------------------------------------------------------------
SQS_MAPPINGS_POLLED = Seam(
    "moto.awslambda.models.LambdaBackend", "create_event_source_mapping", "wrap",
    "a mapping the pollers create is left off its queue: the pollers run it as Lambda does",
    "moto runs an SQS mapping inside send_message, one message per invoke, no batching or partial failures",
    ("self", "spec"), "pollers",
)  # fmt: skip

SQS_ARRIVALS = Seam(
    "moto.sqs.models.Queue", "add_message", "wrap",
    "a message's arrival wakes the pollers of its queue, which otherwise sleep (no polling of empty queues); quiet "
    "detection reads the queue's message counts from moto directly", "(none: the pollers')", ("self", "message"),
    "pollers", ("approximate_number_of_messages", "approximate_number_of_messages_not_visible",
    "approximate_number_of_messages_delayed"),
)  # fmt: skip

SQS_RETENTION_READ = Seam(
    "moto.sqs.models.SQSBackend", "is_message_valid_based_on_retention_period", "replace",
    "a receive checks each message's retention against the queue's MessageRetentionPeriod read off the queue",
    "moto computes every queue attribute for each message received, the message counts included (a scan of the "
    "queue per message)", ("self", "queue_name", "message"), "pollers", ("get_queue",),
)  # fmt: skip

_ONE_READ = (
    "moto reads the time again for each message of the queue (a datetime computed per message, twice for `messages`); "
    "SendMessage computes every attribute, these counts included, to read ContentBasedDeduplication, so each send "
    "scanned a backlogged queue three times"
)
SQS_QUEUE_SCANS = tuple(
    Seam(
        "moto.sqs.models.Queue", name, "replace",
        f"Queue.{name} counted over the queue's messages with the time read once per scan", _ONE_READ, None,
        "pollers",
    )
    for name in (
        "messages", "approximate_number_of_messages", "approximate_number_of_messages_not_visible",
        "approximate_number_of_messages_delayed",
    )
)  # fmt: skip

# -- EventBridge ---------------------------------------------------------------------------------------------------
EVENTS_DELIVERY = Seam(
    "moto.events.models.Rule", "send_to_targets", "wrap",
    "rule delivery to Step Functions and Lambda targets, Input/InputPath/InputTransformer, RetryPolicy and DLQs",
    "moto raises NotImplementedError for those targets, ignores target input settings, retries and DISABLED",
    ("self", "original_event", "transform_input"), "delivery",
)  # fmt: skip
EVENTS_PUT_RULE = Seam(
    "moto.events.models.EventsBackend", "put_rule", "wrap",
    "PutRule validates the event pattern as EventBridge does (orchestrator/local/patterns.py): a malformed one is "
    "refused with InvalidEventPatternException",
    "moto accepts most malformed patterns, after which every PutEvents on the bus fails until the rule is deleted",
    ("self", "name", "description", "event_bus_arn", "event_pattern", "role_arn", "scheduled_expression", "state",
     "managed_by", "tags"), "delivery",
)  # fmt: skip
EVENTS_TEST_EVENT_PATTERN = Seam(
    "moto.events.responses.EventsHandler", "test_event_pattern", "replace",
    "TestEventPattern answers {\"Result\": true|false} from the local pattern engine, or InvalidEventPatternException",
    "moto's handler is a stub that answers nothing", ("self",), "delivery",
)  # fmt: skip
FAULT_PUT_EVENTS = Seam(
    "moto.events.models.EventsBackend", "put_events", "wrap",
    "injected faults: PutEvents answers ThrottlingException entries for the entries hit",
    "(none: fault injection)", ("self", "events"), "faults",
)  # fmt: skip

# -- DynamoDB ------------------------------------------------------------------------------------------------------
DYNAMODB_ATOMIC_WRITES = tuple(
    Seam(
        _DYNAMODB,
        name,
        "wrap",
        "an item's condition check and write are one step, as on DynamoDB (one lock over moto's writes)",
        "moto reads, checks and assigns without a lock: two threads can both pass one condition",
        _DYNAMODB_SIGNATURES[name],
        "dynamodb",
    )  # fmt: skip
    for name in ("put_item", "update_item", "delete_item", "transact_write_items")
) + tuple(
    Seam(
        _DYNAMODB,
        name,
        "wrap",
        "a Query or Scan reads the table between writes (the same lock as the writes)",
        "moto deep-copies the items it returns while another thread's write may change them: "
        "'dictionary changed size during iteration'",
        _DYNAMODB_SIGNATURES[name],
        "dynamodb",
    )  # fmt: skip
    for name in ("query", "scan")
)
FAULT_DYNAMODB = tuple(
    Seam(
        _DYNAMODB,
        name,
        "wrap",
        "injected faults: item calls throttled, or a table's writes ignoring their ConditionExpression",
        "(none: fault injection)",
        _DYNAMODB_SIGNATURES[name],
        "faults",
    )  # fmt: skip
    for name in ("get_item", "put_item", "update_item", "delete_item", "transact_write_items")
)

# -- JSONata -------------------------------------------------------------------------------------------------------
JSONATA_EVALUATOR = Seam(
    f"{_JSONATA}.jsonata.jsonata", "_eval_jsonata", "replace",
    "JSONata is evaluated by jsonata-python, $now()/$millis() on the clock",
    "moto's evaluator pointer is None: every JSONata expression fails with States.Runtime", None, "jsonata_engine",
)  # fmt: skip
JSONATA_QUERY_ERRORS = tuple(
    Seam(
        f"{_JSONATA}.component.common.string.string_expression.{name}",
        "_eval_body",
        "wrap",
        "a failing expression fails the state with States.QueryEvaluationError, which Catch and Retry can match",
        "the evaluator is given no Environment, so any error becomes States.Runtime",
        ("self", "env"),
        "jsonata_engine",
    )  # fmt: skip
    for name in ("StringJSONata", "StringVariableSample")
)
JSONATA_FUNCTION_STANDINS = tuple(
    Seam(
        f"{_JSONATA}.component.intrinsic.jsonata._DECLARATION_BY_VARIABLE_REFERENCE",
        reference,
        "remove",
        f"{reference}() is Step Functions' own, registered with jsonata-python: moto's stand-in would shadow it",
        f'moto declares {reference} as a function returning "Function {reference} is currently not supported"',
        None,
        "jsonata_engine",
    )  # fmt: skip
    for reference in ("$uuid", "$parse", "$hash")
)
JSONATA_PARTITION_STANDIN = Seam(
    f"{_JSONATA}.component.intrinsic.jsonata._DECLARATION_BY_VARIABLE_REFERENCE", "$partition", "remove",
    "$partition() is Step Functions' own, registered with jsonata-python (jsonata_functions.py): moto's stand-in "
    "would shadow it",
    "moto's JSONata $partition makes an empty chunk too many when two or more items are left over, and answers null "
    "for a chunk size of 0", None, "jsonata_engine",
)  # fmt: skip

# -- ASL fidelity: where moto's interpreter runs a definition otherwise than AWS (orchestrator/local/stepfunctions) --
# Bound by the Step Functions adapter; each fix's module cites the AWS page that states the behaviour.
_ASL: Final = "moto.stepfunctions.parser.asl"
_FIDELITY: Final = "stepfunctions"
INTRINSIC_FIELD_DECODED = Seam(
    f"{_ASL}.parse.preprocessor.Preprocessor", "visitString_intrinsic_function", "replace",
    "an intrinsic function is parsed from the field's value, its JSON escapes read (intrinsic_strings.py)",
    "moto parses the field's JSON text as written: an escaped quote reaches the intrinsic parser as \\\\' and ends "
    "the string literal", ("self", "ctx"), _FIDELITY,
)  # fmt: skip
INTRINSIC_LITERAL_ESCAPES = Seam(
    f"{_ASL}.parse.intrinsic.preprocessor.Preprocessor", "visitFunc_arg_string", "replace",
    "an intrinsic's string literal reads \\' \\{ \\} \\\\ as ' { } \\, and keeps its text as written for States.Format",
    "moto keeps those escapes as written", ("self", "ctx"), _FIDELITY,
)  # fmt: skip
FORMAT_PLACEHOLDERS = Seam(
    f"{_ASL}.component.intrinsic.function.statesfunction.generic.string_format.StringFormat", "_eval_body",
    "replace", "States.Format replaces each {} with the next value; an escaped brace is a brace",
    "moto formats with str.format: an escaped brace fails with KeyError (States.Runtime)", ("self", "env"),
    _FIDELITY, ("_to_str_repr",),
)  # fmt: skip
MATH_RANDOM_END_EXCLUSIVE = Seam(
    f"{_ASL}.component.intrinsic.function.statesfunction.math_operations.math_random.MathRandom", "_eval_body",
    "replace", "States.MathRandom draws from start (inclusive) to end (exclusive) (intrinsic_math.py)",
    "moto draws with randint: the end is included", ("self", "env"), _FIDELITY, ("_validate_integer_value",),
)  # fmt: skip
JSONPATH_DEFINITE_PATHS = tuple(
    Seam(
        f"{_ASL}.{module}",
        "extract_json",
        "replace",
        "a definite JSONPath (an index is definite) gives one value, an indefinite one a list (json_paths.py)",
        "moto answers a list for any path through an array index: $[0].n gives [1]",
        ("path", "data"),
        _FIDELITY,
    )  # fmt: skip
    for module in (
        "utils.json_path",
        "eval.states",
        "component.common.string.string_expression",
        "component.intrinsic.argument.argument",
        "component.state.choice.comparison.operator.implementations.timestamp_operators",
        "component.state.choice.comparison.operator.implementations.boolean_equals",
        "component.state.choice.comparison.operator.implementations.numeric",
        "component.state.choice.comparison.operator.implementations.string_operators",
    )  # fmt: skip
)
RESULT_PATH_PARSED_ONCE = Seam(
    f"{_ASL}.component.common.path.result_path", "parse", "replace",
    "a ResultPath is parsed once per path text, not at every state it ends (json_paths.py)",
    "moto parses the path at every evaluation, building a new PLY parser each time (a few ms a state)",
    ("string",), _FIDELITY,
)  # fmt: skip
STRING_MATCHES_PATTERN = Seam(
    f"{_ASL}.component.state.choice.comparison.operator.implementations.string_operators.StringMatches", "_compare",
    "replace", "StringMatches reads * as its only wildcard, \\* as an asterisk and \\\\ as a backslash (choice.py)",
    "moto matches with fnmatch: ? and [...] are wildcards too and a backslash escapes nothing",
    ("variable", "comparison_value"), _FIDELITY,
)  # fmt: skip
NO_CHOICE_MATCHED = Seam(
    f"{_ASL}.component.state.choice.state_choice.StateChoice", "_eval_state", "wrap",
    "a Choice state that matches no rule and has no Default fails with States.NoChoiceMatched",
    "moto raises a RuntimeError: the execution fails with States.Runtime", ("self", "env"), _FIDELITY,
)  # fmt: skip
BRANCH_ERROR_NAMES = tuple(
    Seam(
        f"{_ASL}.component.state.exec.{module}",
        "CustomErrorName",
        "replace",
        "a Parallel or Map state fails with the States.* error of its branch or iteration, which Catch can match "
        "(branch_errors.py)",
        "moto names it with CustomErrorName, which refuses States.* names: the execution fails with States.Runtime",
        None,
        _FIDELITY,
    )  # fmt: skip
    for module in ("state_parallel.branches_decl", "state_map.iteration.iteration_worker")
)
CONTEXT_START_TIME = Seam(
    "moto.stepfunctions.parser.backend.execution_worker.ExecutionWorker", "_get_evaluation_environment", "wrap",
    "$$.Execution.StartTime is an ISO-8601 string, as AWS writes it (context.py)",
    "moto puts a datetime object there: a JSONPath state reading it fails, or DescribeExecution does",
    ("self",), _FIDELITY,
)  # fmt: skip
CONTEXT_ENTERED_TIME = Seam(
    f"{_ASL}.component.state.state.CommonStateField", "_eval_state_input", "wrap",
    "$$.State.EnteredTime is written as AWS writes timestamps (2024-01-01T00:00:00.000Z)",
    "moto writes isoformat(): +00:00, and microseconds when there are any", ("self", "env"), _FIDELITY,
)  # fmt: skip
MAP_ITEM_SOURCE = tuple(
    Seam(
        f"{_ASL}.component.state.exec.state_map.iteration.{worker}",
        "_eval_input",
        "wrap",
        "$$.Map.Item.Source in ItemSelector: STATE_DATA, or the S3 URI an ItemReader read (context.py)",
        "moto sets only Map.Item.Index and Map.Item.Value",
        ("self", "env_frame"),
        _FIDELITY,
    )  # fmt: skip
    for worker in (
        "itemprocessor.inline_item_processor_worker.InlineItemProcessorWorker",
        "iterator.inline_iterator_worker.InlineIteratorWorker",
    )
)
ITEM_READER_OBJECT_SOURCE, ITEM_READER_LISTING_SOURCE = (
    Seam(
        f"{_ASL}.component.state.exec.state_map.item_reader.eval.resource_eval_s3.ResourceEvalS3",
        handler,
        "wrap",
        "the S3 URI an ItemReader reads is remembered for $$.Map.Item.Source",
        "(none: moto has no Map.Item.Source)",
        ("env", "resource_runtime_part", "state_credentials"),
        _FIDELITY,
    )  # fmt: skip
    for handler in ("_handle_get_object", "_handle_list_objects_v2")
)
GRAMMAR_GAPS_PARSE = Seam(
    f"{_ASL}.parse.asl_parser.AmazonStateLanguageParser", "parse", "wrap",
    "ItemBatcher and ReaderConfig.CSVDelimiter are taken out before moto parses a definition, then set on the "
    "components that act on them (grammar_gaps.py)",
    "moto's grammar has neither field: CreateStateMachine answers InvalidDefinition", ("definition",), _FIDELITY,
)  # fmt: skip
CSV_DELIMITER = Seam(
    f"{_ASL}.component.state.exec.state_map.item_reader.eval.resource_output_transformer.transformer_csv"
    ".ResourceOutputTransformerCSV", "_eval_body", "wrap",
    "a CSV object is read with its CSVDelimiter: PIPE, SEMICOLON, SPACE or TAB (map_items.py)",
    "moto reads every CSV with a comma", ("self", "env"), _FIDELITY,
)  # fmt: skip
ITEM_BATCHER = Seam(
    f"{_ASL}.component.state.exec.state_map.iteration.distributed_iteration_component.DistributedIterationComponent",
    "_map_run", "wrap",
    "a Distributed Map's ItemBatcher: each child execution gets {\"Items\": [...], \"BatchInput\": ...} (map_items.py)",
    "moto has no ItemBatcher: each child execution gets one item", ("self", "env", "eval_input"), _FIDELITY,
)  # fmt: skip
ASSIGN_KEEPS_ENTRY_VARIABLES = Seam(
    f"{_ASL}.component.common.assign.assign_decl.AssignDecl", "_eval_body", "wrap",
    "Assign keeps the variables its state was entered with, for the state's Output (variables.py)",
    "Output is evaluated after Assign, on the variables Assign just set", ("self", "env"), _FIDELITY,
)  # fmt: skip
OUTPUT_READS_ENTRY_VARIABLES = Seam(
    f"{_ASL}.component.common.outputdecl.Output", "_eval_body", "wrap",
    "a JSONata Output reads the variables as they were on entering its state, as AWS evaluates Assign and Output "
    "in parallel (variables.py)",
    "Output reads the values its own state's Assign just set", ("self", "env"), _FIDELITY,
)  # fmt: skip
JSONATA_TIMEOUT_SECONDS = Seam(
    f"{_ASL}.component.common.timeouts.timeout.TimeoutSecondsJSONata", "_eval_seconds", "replace",
    "a TimeoutSeconds expression that is no integer from 1 to 99999999 fails with States.QueryEvaluationError "
    "(number_fields.py)", "the result is passed through int(): '10' is 10 s, 2.7 is 2 s, 0 no timeout",
    ("self", "env"), _FIDELITY, ("string_jsonata",),
)  # fmt: skip
JSONATA_HEARTBEAT_SECONDS = Seam(
    f"{_ASL}.component.common.timeouts.heartbeat.HeartbeatSecondsJSONata", "_eval_seconds", "replace",
    "a HeartbeatSeconds expression that is no integer from 1 to 99999999 fails with States.QueryEvaluationError "
    "(number_fields.py)", "the result is passed through int(); 'soon' fails with States.Runtime",
    ("self", "env"), _FIDELITY, ("string_jsonata",),
)  # fmt: skip
JSONATA_WAIT_SECONDS = Seam(
    f"{_ASL}.component.state.wait.wait_function.seconds.SecondsJSONata", "_get_wait_seconds", "replace",
    "a Wait's Seconds expression that is no integer from 0 to 99999999 fails with States.QueryEvaluationError "
    "(number_fields.py)", "the result is passed through int(): -5 waits nothing, 1.5 one second, '3' three",
    ("self", "env"), _FIDELITY, ("string_jsonata",),
)  # fmt: skip
LAMBDA_RESULT_SDK_METADATA = Seam(
    f"{_ASL}.component.state.exec.state_task.lambda_eval_utils", "select_from_typed_dict", "replace",
    "a lambda:invoke task's result carries SdkHttpMetadata and SdkResponseMetadata beside Payload, StatusCode and "
    "ExecutedVersion, as on AWS (lambda_result.py)",
    "the result keeps only the fields of Invoke's response shape", ("typed_dict", "obj", "filter"), _FIDELITY,
)  # fmt: skip
STATES_ALL_SKIPS_DATA_LIMIT = Seam(
    f"{_ASL}.component.common.error_name.error_equals_decl.ErrorEqualsDecl", "_eval_body", "wrap",
    "a Retry or Catch on States.ALL does not match States.DataLimitExceeded, a terminal error on AWS "
    "(terminal_errors.py)",
    "States.ALL matches every error: a Catch routes an oversized result to its fallback", ("self", "env"), _FIDELITY,
)  # fmt: skip

SEAMS: Final[tuple[Seam, ...]] = (
    *LAMBDA_INVOKE,
    BOTOCORE_SHARED_LOADER,
    OS_ENVIRON,
    BOTO3_DEFAULT_SESSION,
    SQS_MAPPINGS_POLLED,
    MOTO_ACTION_NAMES,
    MOTO_BACKEND_URLS,
    DYNAMODB_CONDITION_TOKENS,
    MOTO_SERVICE_LOADER,
    SQS_ARRIVALS,
    SQS_RETENTION_READ,
    *SQS_QUEUE_SCANS,
    EVENTS_DELIVERY,
    EVENTS_PUT_RULE,
    EVENTS_TEST_EVENT_PATTERN,
    *DYNAMODB_ATOMIC_WRITES,
    JSONATA_EVALUATOR,
    *JSONATA_QUERY_ERRORS,
    *JSONATA_FUNCTION_STANDINS,
    JSONATA_PARTITION_STANDIN,
    FAULT_PUT_EVENTS,
    *FAULT_DYNAMODB,
    INTRINSIC_FIELD_DECODED,
    INTRINSIC_LITERAL_ESCAPES,
    FORMAT_PLACEHOLDERS,
    MATH_RANDOM_END_EXCLUSIVE,
    *JSONPATH_DEFINITE_PATHS,
    RESULT_PATH_PARSED_ONCE,
    STRING_MATCHES_PATTERN,
    NO_CHOICE_MATCHED,
    *BRANCH_ERROR_NAMES,
    CONTEXT_START_TIME,
    CONTEXT_ENTERED_TIME,
    *MAP_ITEM_SOURCE,
    ITEM_READER_OBJECT_SOURCE,
    ITEM_READER_LISTING_SOURCE,
    GRAMMAR_GAPS_PARSE,
    CSV_DELIMITER,
    ITEM_BATCHER,
    ASSIGN_KEEPS_ENTRY_VARIABLES,
    OUTPUT_READS_ENTRY_VARIABLES,
    JSONATA_TIMEOUT_SECONDS,
    JSONATA_HEARTBEAT_SECONDS,
    JSONATA_WAIT_SECONDS,
    LAMBDA_RESULT_SDK_METADATA,
    STATES_ALL_SKIPS_DATA_LIMIT,
)
