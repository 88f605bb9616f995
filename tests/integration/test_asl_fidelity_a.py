"""ASL as AWS runs it, on the local runtime (issue 19, "Local fidelity", item 2, first half): escapes in intrinsic
functions and StringMatches, a Choice that matches nothing, the Map state's context object, ItemBatcher, ItemReader
over S3 CSV, and the context object's timestamps.

Each test states the behaviour of the AWS documentation page it cites; moto 5.2.5 differed on each (see
orchestrator/local/seams/services.py, "ASL fidelity"). The clock is frozen at 2024-01-01T00:00:00Z."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from moto import mock_aws

from orchestrator.local import jsonata_engine
from orchestrator.local.clock import Clock
from orchestrator.local.runtime import LOCAL_ACCOUNT, MOTO_CONFIG, Runtime, local_session
from orchestrator.local.stepfunctions import StepFunctionsAdapter
from tests.settling import ended

ROLE_ARN = f"arn:aws:iam::{LOCAL_ACCOUNT}:role/local"
NEW_YEAR = 1704067200.0  # 2024-01-01T00:00:00Z


@dataclass
class Local:
    runtime: Runtime
    sfn: Any
    s3: Any

    def run(self, definition: dict[str, Any], payload: Any = None, name: str = "run") -> dict[str, Any]:
        """Creates the state machine, runs one execution, and returns it described once it ended."""
        machine = self.sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE_ARN)
        started = self.sfn.start_execution(
            stateMachineArn=machine["stateMachineArn"], name=name, input=json.dumps(payload or {})
        )
        return ended(self.runtime, self.sfn, started["executionArn"])

    def output(self, definition: dict[str, Any], payload: Any = None, name: str = "run") -> Any:
        """The output of a run that must succeed."""
        execution = self.run(definition, payload, name)
        assert execution["status"] == "SUCCEEDED", execution
        return json.loads(execution["output"])


@pytest.fixture
def local(aws_credentials: None) -> Iterator[Local]:
    with mock_aws(config=MOTO_CONFIG), jsonata_engine.jsonata_enabled():
        runtime = Runtime(clock=Clock(now=lambda: NEW_YEAR), session=local_session())
        adapter = StepFunctionsAdapter(runtime)
        adapter.install()
        try:
            yield Local(runtime, runtime.client("stepfunctions"), runtime.client("s3"))
        finally:
            stopped = adapter.uninstall()
        assert stopped, "a thread of the interpreter outlived uninstall()"


def pass_state(parameters: dict[str, Any]) -> dict[str, Any]:
    """A JSONPath machine of one Pass state with these Parameters."""
    return {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": parameters, "End": True}}}


# 1. States.Format and escapes in intrinsic string literals -------------------------------------------------------
# https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html ("Reserved characters in intrinsic
# functions"): ' { } and \ are reserved; \' is ', \{ is {, \} is }, \\ is \ (each backslash written twice in JSON).
# States.Format replaces each {} with the next argument; an escaped \{\} is a literal pair of braces.


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (r"States.Format('it\'s {}', $.name)", "it's Ann"),
        (r"States.Format('\{literal\} {}', $.name)", "{literal} Ann"),
        (r"States.Format('\{\} is not {}', $.name)", "{} is not Ann"),
        (r"States.Format('back\\slash {}', $.name)", "back\\slash Ann"),
        (r"States.Format('{} and {}', $.name, $.count)", "Ann and 2"),
        (r"""States.Format('\{"name": "{}"\}', $.name)""", '{"name": "Ann"}'),
    ],
    ids=["quote", "braces", "escaped-placeholder", "backslash", "two-values", "json"],
)
def test_states_format_reads_escapes_as_the_intrinsic_functions_page_defines_them(
    local: Local, template: str, expected: str
) -> None:
    assert local.output(pass_state({"text.$": template}), {"name": "Ann", "count": 2}) == {"text": expected}


def test_an_escaped_quote_is_a_quote_in_any_intrinsics_string_literal(local: Local) -> None:
    split = pass_state({"parts.$": r"States.StringSplit($.words, '\'')"})

    assert local.output(split, {"words": "a'b'c"}) == {"parts": ["a", "b", "c"]}


# 2. StringMatches ------------------------------------------------------------------------------------------------
# https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html (StringMatches): "*" matches zero or more
# characters and no other character is special; \* is a literal asterisk and \\ a literal backslash (both written
# with their backslash doubled in JSON).


def matches_machine(pattern: str) -> dict[str, Any]:
    return {
        "StartAt": "Route",
        "States": {
            "Route": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.value", "StringMatches": pattern, "Next": "Matched"}],
                "Default": "Unmatched",
            },
            "Matched": {"Type": "Pass", "Result": True, "End": True},
            "Unmatched": {"Type": "Pass", "Result": False, "End": True},
        },
    }


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        (r"a\*b", "a*b", True),
        (r"a\*b", "a-b", False),
        (r"a\*b", "a\\xb", False),
        ("log-*.txt", "log-2024-01.txt", True),
        ("log-*.txt", "log-2024.csv", False),
        (r"a\\b*", "a\\bcd", True),
        (r"a\\b*", "abcd", False),
        ("*[1]?", "file[1]?", True),
        ("*[1]?", "file1x", False),
    ],
    ids=["asterisk", "asterisk-not-wildcard", "backslash-not-literal", "wildcard", "wildcard-miss", "backslash",
         "backslash-miss", "nothing-else-special", "no-character-classes"],
)  # fmt: skip
def test_string_matches_reads_its_escapes_and_only_the_asterisk_as_a_wildcard(
    local: Local, pattern: str, value: str, matches: bool
) -> None:
    assert local.output(matches_machine(pattern), {"value": value}) is matches


# 3. A Choice that matches nothing --------------------------------------------------------------------------------
# https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html: States.NoChoiceMatched, "a Choice
# state failed to match the input with the conditions defined in the Choice Rule and a Default transition wasn't
# specified" (state-choice.html: "the state machine will throw an error due to a failure to transition out").

NO_DEFAULT_JSONPATH: dict[str, Any] = {
    "StartAt": "Route",
    "States": {
        "Route": {"Type": "Choice", "Choices": [{"Variable": "$.kind", "StringEquals": "a", "Next": "A"}]},
        "A": {"Type": "Succeed"},
    },
}
NO_DEFAULT_JSONATA: dict[str, Any] = {
    "QueryLanguage": "JSONata",
    "StartAt": "Route",
    "States": {
        "Route": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.kind = 'a' %}", "Next": "A"}]},
        "A": {"Type": "Succeed"},
    },
}


@pytest.mark.parametrize("definition", [NO_DEFAULT_JSONPATH, NO_DEFAULT_JSONATA], ids=["jsonpath", "jsonata"])
def test_a_choice_without_a_match_or_a_default_fails_with_states_no_choice_matched(
    local: Local, definition: dict[str, Any]
) -> None:
    execution = local.run(definition, {"kind": "b"})

    assert (execution["status"], execution.get("error")) == ("FAILED", "States.NoChoiceMatched")
    failed = [event for event in history(local, execution) if event["type"] == "ExecutionFailed"]
    assert failed[0]["executionFailedEventDetails"]["error"] == "States.NoChoiceMatched"


CATCH_NO_CHOICE: list[dict[str, Any]] = [
    {"ErrorEquals": ["States.NoChoiceMatched"], "ResultPath": "$.error", "Next": "Caught"}
]


@pytest.mark.parametrize(
    "state",
    [
        {"Type": "Parallel", "Branches": [NO_DEFAULT_JSONPATH]},
        {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": NO_DEFAULT_JSONPATH},
    ],
    ids=["parallel-branch", "map-iteration"],
)
def test_states_no_choice_matched_fails_a_branch_or_iteration_and_its_state_catches_it(
    local: Local, state: dict[str, Any]
) -> None:
    definition = {
        "StartAt": "Fan",
        "States": {"Fan": {**state, "Catch": CATCH_NO_CHOICE, "End": True}, "Caught": {"Type": "Pass", "End": True}},
    }

    output = local.output(definition, {"kind": "b", "items": [{"kind": "b"}]})

    assert output["error"]["Error"] == "States.NoChoiceMatched"


def history(local: Local, execution: dict[str, Any]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = local.sfn.get_execution_history(executionArn=execution["executionArn"])["events"]
    return events


# 4. The Map state's context object -------------------------------------------------------------------------------
# https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html ("Context object data for Map
# states"): in ItemSelector, $$.Map.Item.Index (JSONata: $states.context.Map.Item.Index) is the item's index, .Value
# the item, .Source where it came from: STATE_DATA for the state's input, the S3 URI of the object an ItemReader read.

ECHO: dict[str, Any] = {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}
DISTRIBUTED_ECHO: dict[str, Any] = {
    **ECHO,
    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
}


def test_map_item_index_value_and_source_in_a_jsonpath_item_selector(local: Local) -> None:
    selector = {"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value", "source.$": "$$.Map.Item.Source"}
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemSelector": selector,
                "ItemProcessor": ECHO,
                "End": True,
            }
        },
    }

    assert local.output(definition, {"items": ["a", {"b": 1}]}) == [
        {"index": 0, "value": "a", "source": "STATE_DATA"},
        {"index": 1, "value": {"b": 1}, "source": "STATE_DATA"},
    ]


@pytest.mark.parametrize("processor", [ECHO, DISTRIBUTED_ECHO], ids=["inline", "distributed"])
def test_map_item_index_value_and_source_in_a_jsonata_item_selector(local: Local, processor: dict[str, Any]) -> None:
    selector = {
        "index": "{% $states.context.Map.Item.Index %}",
        "value": "{% $states.context.Map.Item.Value %}",
        "source": "{% $states.context.Map.Item.Source %}",
    }
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "Items": "{% $states.input.items %}",
                "ItemSelector": selector,
                "ItemProcessor": processor,
                "End": True,
            }
        },
    }

    assert local.output(definition, {"items": ["a", "b"]}) == [
        {"index": 0, "value": "a", "source": "STATE_DATA"},
        {"index": 1, "value": "b", "source": "STATE_DATA"},
    ]


def test_map_item_source_of_items_an_item_reader_read_is_the_objects_s3_uri(local: Local) -> None:
    local.s3.create_bucket(Bucket="items")
    local.s3.put_object(Bucket="items", Key="in/list.json", Body=json.dumps(["a", "b"]).encode())
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "JSON"},
                    "Parameters": {"Bucket": "items", "Key": "in/list.json"},
                },
                "ItemSelector": {"value.$": "$$.Map.Item.Value", "source.$": "$$.Map.Item.Source"},
                "ItemProcessor": DISTRIBUTED_ECHO,
                "End": True,
            }
        },
    }

    assert local.output(definition) == [
        {"value": "a", "source": "s3://items/in/list.json"},
        {"value": "b", "source": "s3://items/in/list.json"},
    ]


def test_map_item_source_of_an_s3_listing_is_the_buckets_uri(local: Local) -> None:
    local.s3.create_bucket(Bucket="items")
    local.s3.put_object(Bucket="items", Key="in/a.txt", Body=b"a")
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:listObjectsV2",
                    "Parameters": {"Bucket": "items", "Prefix": "in/"},
                },
                "ItemSelector": {"key.$": "$$.Map.Item.Value.Key", "source.$": "$$.Map.Item.Source"},
                "ItemProcessor": DISTRIBUTED_ECHO,
                "End": True,
            }
        },
    }

    assert local.output(definition) == [{"key": "in/a.txt", "source": "s3://items"}]


# 7. Timestamps of the context object -----------------------------------------------------------------------------
# https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html: Execution.StartTime and
# State.EnteredTime are strings, "Format: ISO 8601" (as AWS writes them: 2024-01-01T00:00:00.000Z).


def test_start_and_entered_times_are_iso_8601_strings_in_jsonpath(local: Local) -> None:
    definition = pass_state({"start.$": "$$.Execution.StartTime", "entered.$": "$$.State.EnteredTime"})

    assert local.output(definition) == {"start": "2024-01-01T00:00:00.000Z", "entered": "2024-01-01T00:00:00.000Z"}


def test_start_and_entered_times_are_iso_8601_strings_in_jsonata(local: Local) -> None:
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Pass",
                "Output": {
                    "start": "{% $states.context.Execution.StartTime %}",
                    "entered": "{% $states.context.State.EnteredTime %}",
                    "millis": "{% $toMillis($states.context.State.EnteredTime) %}",
                },
                "End": True,
            }
        },
    }

    assert local.output(definition) == {
        "start": "2024-01-01T00:00:00.000Z",
        "entered": "2024-01-01T00:00:00.000Z",
        "millis": int(NEW_YEAR * 1000),
    }


# 6. ItemReader over a CSV object in S3 ---------------------------------------------------------------------------
# https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html: ReaderConfig InputType CSV, with
# CSVHeaderLocation FIRST_ROW (the first line names the columns) or GIVEN (CSVHeaders names them, every line is data),
# CSVDelimiter COMMA (default), PIPE, SEMICOLON, SPACE or TAB, and MaxItems; each row becomes an object of strings.

DELIMITERS = {"COMMA": ",", "PIPE": "|", "SEMICOLON": ";", "SPACE": " ", "TAB": "\t"}


def csv_map(reader_config: dict[str, Any], key: str = "rows.csv") -> dict[str, Any]:
    """A Distributed Map whose items are the rows of a CSV object, each echoed as its iteration's output."""
    return {
        "StartAt": "Rows",
        "States": {
            "Rows": {
                "Type": "Map",
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "CSV", **reader_config},
                    "Parameters": {"Bucket": "datasets", "Key": key},
                },
                "ItemProcessor": DISTRIBUTED_ECHO,
                "End": True,
            }
        },
    }


def put_csv(local: Local, text: str, key: str = "rows.csv") -> None:
    local.s3.create_bucket(Bucket="datasets")
    local.s3.put_object(Bucket="datasets", Key=key, Body=text.encode())


def test_csv_rows_are_named_by_the_first_row(local: Local) -> None:
    put_csv(local, "sku,qty\na,1\nb,2\n")

    assert local.output(csv_map({"CSVHeaderLocation": "FIRST_ROW"})) == [
        {"sku": "a", "qty": "1"},
        {"sku": "b", "qty": "2"},
    ]


def test_csv_rows_are_named_by_the_given_headers_and_every_line_is_data(local: Local) -> None:
    put_csv(local, "a,1\nb,2\n")

    config = {"CSVHeaderLocation": "GIVEN", "CSVHeaders": ["sku", "qty"]}
    assert local.output(csv_map(config)) == [{"sku": "a", "qty": "1"}, {"sku": "b", "qty": "2"}]


@pytest.mark.parametrize("name", list(DELIMITERS))
def test_csv_delimiter_separates_the_fields_and_no_other_character_does(local: Local, name: str) -> None:
    delimiter = DELIMITERS[name]
    other = ";" if name == "COMMA" else ","
    put_csv(local, f"sku{delimiter}note\na{delimiter}x{other}y\nb{delimiter}z\n")

    config = {"CSVHeaderLocation": "FIRST_ROW", "CSVDelimiter": name}
    assert local.output(csv_map(config)) == [{"sku": "a", "note": f"x{other}y"}, {"sku": "b", "note": "z"}]


def test_quoted_csv_fields_hold_delimiters_quotes_and_line_breaks(local: Local) -> None:
    put_csv(local, 'sku,note\n"a,1","say ""hi"""\nb,"two\nlines"\n')

    assert local.output(csv_map({"CSVHeaderLocation": "FIRST_ROW"})) == [
        {"sku": "a,1", "note": 'say "hi"'},
        {"sku": "b", "note": "two\nlines"},
    ]


def test_quoted_fields_hold_the_delimiter_they_are_read_with(local: Local) -> None:
    put_csv(local, 'sku|note\n"a|1"|"x ""|"" y"\n')

    config = {"CSVHeaderLocation": "FIRST_ROW", "CSVDelimiter": "PIPE"}
    assert local.output(csv_map(config)) == [{"sku": "a|1", "note": 'x "|" y'}]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"CSVHeaderLocation": "FIRST_ROW", "MaxItems": 2}, ["a", "b"]),
        ({"CSVHeaderLocation": "GIVEN", "CSVHeaders": ["sku"], "MaxItems": 2}, ["sku", "a"]),
    ],
    ids=["first-row", "given"],
)
def test_max_items_limits_the_rows_read(local: Local, config: dict[str, Any], expected: list[str]) -> None:
    put_csv(local, "sku\na\nb\nc\n")

    assert [row["sku"] for row in local.output(csv_map(config))] == expected


def test_a_jsonata_item_reader_takes_its_csv_delimiter_too(local: Local) -> None:
    put_csv(local, "sku\tqty\na\t1\n")
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Rows",
        "States": {
            "Rows": {
                "Type": "Map",
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "CSVDelimiter": "TAB"},
                    "Arguments": {"Bucket": "datasets", "Key": "{% $states.input.key %}"},
                },
                "ItemProcessor": DISTRIBUTED_ECHO,
                "End": True,
            }
        },
    }

    assert local.output(definition, {"key": "rows.csv"}) == [{"sku": "a", "qty": "1"}]


def test_an_unknown_csv_delimiter_is_refused_when_the_state_machine_is_created(local: Local) -> None:
    with pytest.raises(local.sfn.exceptions.InvalidDefinition, match="CSVDelimiter"):
        local.run(csv_map({"CSVHeaderLocation": "FIRST_ROW", "CSVDelimiter": "COLON"}))


# 5. ItemBatcher --------------------------------------------------------------------------------------------------
# https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itembatcher.html: in a Distributed Map state, items
# are grouped in batches of at most MaxItemsPerBatch items and MaxInputBytesPerBatch bytes; each child execution gets
# {"Items": [...]}, and "BatchInput" (a payload template on the state's input) when the batcher has one. ItemSelector
# applies to each item before batching (input-output-fields-dist-map.html: ItemReader, ItemsPath, ItemSelector,
# ItemBatcher, in that order).


def batched_map(batcher: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A JSONPath Distributed Map over $.items whose child executions echo their input."""
    state = {"Type": "Map", "ItemsPath": "$.items", "ItemBatcher": batcher, "ItemProcessor": DISTRIBUTED_ECHO}
    return {"StartAt": "Batches", "States": {"Batches": {**state, **fields, "End": True}}}


def test_items_are_batched_by_max_items_per_batch_with_the_batch_input(local: Local) -> None:
    batcher = {"MaxItemsPerBatch": 2, "BatchInput": {"run.$": "$.run", "fixed": "v"}}

    output = local.output(batched_map(batcher), {"run": "r-1", "items": [1, 2, 3, 4, 5]})

    batch_input = {"run": "r-1", "fixed": "v"}
    assert output == [
        {"BatchInput": batch_input, "Items": [1, 2]},
        {"BatchInput": batch_input, "Items": [3, 4]},
        {"BatchInput": batch_input, "Items": [5]},
    ]


@pytest.mark.parametrize(
    ("max_bytes", "expected"),
    [(25, [["aaaa", "bbbb"], ["cccc"]]), (24, [["aaaa"], ["bbbb"], ["cccc"]])],
    ids=["two-fit", "one-fits"],
)
def test_items_are_batched_by_max_input_bytes_per_batch(local: Local, max_bytes: int, expected: list[Any]) -> None:
    # {"Items":["aaaa","bbbb"]} is 25 bytes.
    output = local.output(batched_map({"MaxInputBytesPerBatch": max_bytes}), {"items": ["aaaa", "bbbb", "cccc"]})

    assert output == [{"Items": items} for items in expected]


def test_each_item_goes_through_item_selector_before_it_is_batched(local: Local) -> None:
    selector = {"value.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index", "run.$": "$.run"}
    definition = batched_map({"MaxItemsPerBatchPath": "$.size"}, ItemSelector=selector)

    output = local.output(definition, {"run": "r-1", "size": 2, "items": ["a", "b", "c"]})

    assert output == [
        {"Items": [{"value": "a", "index": 0, "run": "r-1"}, {"value": "b", "index": 1, "run": "r-1"}]},
        {"Items": [{"value": "c", "index": 2, "run": "r-1"}]},
    ]


def test_a_jsonata_item_batcher_reads_its_settings_from_expressions(local: Local) -> None:
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Batches",
        "States": {
            "Batches": {
                "Type": "Map",
                "Items": "{% $states.input.items %}",
                "ItemBatcher": {
                    "MaxItemsPerBatch": "{% $states.input.size %}",
                    "BatchInput": {"run": "{% $states.input.run %}"},
                },
                "ItemProcessor": DISTRIBUTED_ECHO,
                "End": True,
            }
        },
    }

    output = local.output(definition, {"run": "r-1", "size": 2, "items": [1, 2, 3]})

    assert output == [{"BatchInput": {"run": "r-1"}, "Items": [1, 2]}, {"BatchInput": {"run": "r-1"}, "Items": [3]}]


def test_csv_rows_read_from_s3_are_batched(local: Local) -> None:
    put_csv(local, "sku\na\nb\nc\n")
    definition = csv_map({"CSVHeaderLocation": "FIRST_ROW"})
    definition["States"]["Rows"]["ItemBatcher"] = {"MaxItemsPerBatch": 2}

    assert local.output(definition) == [{"Items": [{"sku": "a"}, {"sku": "b"}]}, {"Items": [{"sku": "c"}]}]


def test_an_item_batcher_in_an_inline_map_is_refused_when_the_state_machine_is_created(local: Local) -> None:
    definition = batched_map({"MaxItemsPerBatch": 2})
    definition["States"]["Batches"]["ItemProcessor"] = ECHO

    with pytest.raises(local.sfn.exceptions.InvalidDefinition, match="ItemBatcher"):
        local.run(definition)


def test_an_item_batcher_inside_a_parallel_branch_batches_its_own_map(local: Local) -> None:
    inner = batched_map({"MaxItemsPerBatch": 2})
    definition = {
        "StartAt": "Both",
        "States": {"Both": {"Type": "Parallel", "Branches": [ECHO, inner], "End": True}},
    }

    assert local.output(definition, {"items": [1, 2, 3]}) == [
        {"items": [1, 2, 3]},
        [{"Items": [1, 2]}, {"Items": [3]}],
    ]
