"""Amazon States Language cases, each an example or a stated rule of the Step Functions Developer Guide (cited), run
by `orch local conformance` and by tests/integration/test_conformance.py on the local runtime.

A case is a state machine, an input, and what AWS documents for them: the execution's status and its output, or its
error (and the start of its cause). Only cases whose expectation the cited page states or shows are here: where a
page is silent, no case is invented.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Final

_DG: Final = "https://docs.aws.amazon.com/step-functions/latest/dg/"
INTRINSICS: Final = _DG + "intrinsic-functions.html"
RESULT_PATH: Final = _DG + "input-output-resultpath.html"
PARAMETERS: Final = _DG + "input-output-inputpath-params.html"
CONTEXT: Final = _DG + "input-output-contextobject.html"
CHOICE: Final = _DG + "state-choice.html"
MAP: Final = _DG + "state-map-inline.html"
PARALLEL: Final = _DG + "state-parallel.html"
ERRORS: Final = _DG + "concepts-error-handling.html"
JSONATA: Final = _DG + "transforming-data.html"
VARIABLES: Final = _DG + "workflow-variables.html"
STATES_LANGUAGE: Final = "https://states-language.net/#appendix-b"  # the Amazon States Language specification
FAIL: Final = _DG + "state-fail.html"
WAIT: Final = _DG + "state-wait.html"


@dataclass(frozen=True)
class AslCase:
    name: str
    category: str
    cite: str  # the Developer Guide page that states the expectation
    definition: dict[str, Any]
    input: Any
    status: str = "SUCCEEDED"
    output: Any = None  # expected output when SUCCEEDED
    error: str | None = None  # expected error when FAILED
    cause_starts: str = ""  # the expected cause starts with this
    # Why the local runtime is known to differ here (a case AWS passes and the local runtime does not yet); the runner
    # counts it apart, and reports it if it starts to pass (then the mark must go).
    known_difference: str = ""


def _pass(state: dict[str, Any], **top: Any) -> dict[str, Any]:
    """A one-state machine: `state` is a Pass state that ends."""
    return {"StartAt": "S", "States": {"S": {"Type": "Pass", "End": True, **state}}, **top}


def _yes_or_no(rule: dict[str, Any]) -> dict[str, Any]:
    """A Choice whose one `rule` leads to a Pass answering "yes"; its Default to one answering "no"."""
    return {
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "Choices": [{**rule, "Next": "Yes"}], "Default": "No"},
            "Yes": {"Type": "Pass", "Result": "yes", "End": True},
            "No": {"Type": "Pass", "Result": "no", "End": True},
        },
    }


def _jsonata(states: dict[str, Any], start: str) -> dict[str, Any]:
    return {"QueryLanguage": "JSONata", "StartAt": start, "States": states}


_NINE: Final = [1, 2, 3, 4, 5, 6, 7, 8, 9]
_EXAMPLE: Final = {"comment": "This is a test", "details": "Default example", "who": "Step Functions"}
_GREETING: Final = "Hello, Step Functions!"

CASES: Final[list[AslCase]] = [
    # -- intrinsic functions: the Developer Guide's own examples ---------------------------------------------------
    AslCase(
        "States.Format",
        "intrinsic functions",
        INTRINSICS,
        _pass({"Parameters": {"r.$": "States.Format('Hello, my name is {}.', $.name)"}}),
        {"name": "Arnav"},
        output={"r": "Hello, my name is Arnav."},
    ),
    AslCase(
        "States.Format with escaped reserved characters",
        "intrinsic functions",
        INTRINSICS,  # "Reserved characters": ' { } \\ are escaped with a backslash inside a string literal
        _pass({"Parameters": {"r.$": "States.Format('it\\'s \\{\\} {}', $.name)"}}),
        {"name": "Ana"},
        output={"r": "it's {} Ana"},
    ),
    AslCase(
        "States.StringToJson",
        "intrinsic functions",
        INTRINSICS,
        _pass({"Parameters": {"r.$": "States.StringToJson($.escapedJsonString)"}}),
        {"escapedJsonString": '{"foo": "bar"}'},
        output={"r": {"foo": "bar"}},
    ),
    AslCase(
        "States.JsonToString",
        "intrinsic functions",
        INTRINSICS,
        _pass({"Parameters": {"r.$": "States.JsonToString($.unescapedJson)"}}),
        {"unescapedJson": {"foo": "bar"}},
        output={"r": '{"foo":"bar"}'},
    ),
    AslCase(
        "States.Array",
        "intrinsic functions",
        STATES_LANGUAGE,
        _pass({"Parameters": {"r.$": "States.Array('Foo', 2020, $.someJson, null)"}}),
        {"someJson": {"random": "abcdefg"}},
        output={"r": ["Foo", 2020, {"random": "abcdefg"}, None]},
        known_difference="moto's intrinsic-function grammar (ANTLR, generated) has no null literal: the argument is "
        "dropped with a parse error in the log",
    ),
    AslCase(
        "States.ArrayPartition",
        "intrinsic functions",
        INTRINSICS,
        _pass({"Parameters": {"r.$": "States.ArrayPartition($.inputArray, 4)"}}),
        {"inputArray": _NINE},
        output={"r": [[1, 2, 3, 4], [5, 6, 7, 8], [9]]},
    ),
    AslCase(
        "States.ArrayContains",
        "intrinsic functions",
        INTRINSICS,
        _pass({"Parameters": {"r.$": "States.ArrayContains($.inputArray, $.lookingFor)"}}),
        {"inputArray": _NINE, "lookingFor": 5},
        output={"r": True},
    ),
    AslCase(
        "States.ArrayRange",
        "intrinsic functions",
        INTRINSICS,
        _pass({"Parameters": {"r.$": "States.ArrayRange(1, 9, 2)"}}),
        {},
        output={"r": [1, 3, 5, 7, 9]},
    ),
    AslCase(
        "States.ArrayGetItem",
        "intrinsic functions",
        INTRINSICS,
        _pass({"Parameters": {"r.$": "States.ArrayGetItem($.inputArray, $.index)"}}),
        {"inputArray": _NINE, "index": 5},
        output={"r": 6},
    ),
    AslCase(
        "States.ArrayLength",
        "intrinsic functions",
        INTRINSICS,
        _pass({"Parameters": {"r.$": "States.ArrayLength($.inputArray)"}}),
        {"inputArray": _NINE},
        output={"r": 9},
    ),
    AslCase(
        "States.ArrayUnique",
        "intrinsic functions",
        INTRINSICS,
        _pass({"Parameters": {"r.$": "States.ArrayUnique($.inputArray)"}}),
        {"inputArray": [1, 2, 3, 3, 3, 3, 3, 3, 4]},
        output={"r": [1, 2, 3, 4]},
    ),
    AslCase(
        "States.Base64Encode",
        "intrinsic functions",
        INTRINSICS,
        _pass({"Parameters": {"r.$": "States.Base64Encode($.input)"}}),
        {"input": "Data to encode"},
        output={"r": "RGF0YSB0byBlbmNvZGU="},
    ),
    AslCase(
        "States.Base64Decode",
        "intrinsic functions",
        INTRINSICS,
        _pass({"Parameters": {"r.$": "States.Base64Decode($.base64)"}}),
        {"base64": "RGF0YSB0byBlbmNvZGU="},
        output={"r": "Data to encode"},
    ),
    AslCase(
        "States.Hash",
        "intrinsic functions",
        INTRINSICS,  # "the hash value of the given input": the page's algorithms are the standard digests, as hex
        _pass({"Parameters": {"r.$": "States.Hash($.Data, $.Algorithm)"}}),
        {"Data": "input data", "Algorithm": "SHA-1"},
        output={"r": hashlib.sha1(b"input data").hexdigest()},  # noqa: S324 - the digest the case asks for
    ),
    AslCase(
        "States.MathAdd",
        "intrinsic functions",
        INTRINSICS,
        _pass({"Parameters": {"r.$": "States.MathAdd($.value1, $.step)"}}),
        {"value1": 111, "step": -1},
        output={"r": 110},
    ),
    AslCase(
        "States.StringSplit",
        "intrinsic functions",
        INTRINSICS,
        _pass({"Parameters": {"r.$": "States.StringSplit($.inputString, $.splitter)"}}),
        {"inputString": "1,2,3,4,5", "splitter": ","},
        output={"r": ["1", "2", "3", "4", "5"]},
    ),
    AslCase(
        "States.MathRandom: start inclusive, end exclusive",
        "intrinsic functions",
        INTRINSICS,  # "a random number between the start (inclusive) and end (exclusive) numbers"
        _pass({"Parameters": {"r.$": "States.MathRandom(1, 2)"}}),
        {},
        output={"r": 1},
    ),
    AslCase(
        "nested intrinsic functions",
        "intrinsic functions",
        INTRINSICS,  # "You can nest up to 10 intrinsic functions within a field"
        _pass({"Parameters": {"r.$": "States.ArrayLength(States.StringSplit($.csv, ','))"}}),
        {"csv": "a,b,c"},
        output={"r": 3},
    ),
    # -- input and output processing (JSONPath) ------------------------------------------------------------------
    AslCase(
        "ResultPath $ replaces the input",
        "input and output",
        RESULT_PATH,
        _pass({"Result": _GREETING, "ResultPath": "$"}),
        _EXAMPLE,
        output=_GREETING,
    ),
    AslCase(
        "ResultPath null keeps the input",
        "input and output",
        RESULT_PATH,
        _pass({"Result": _GREETING, "ResultPath": None}),
        _EXAMPLE,
        output=_EXAMPLE,
    ),
    AslCase(
        "ResultPath merges the result into the input",
        "input and output",
        RESULT_PATH,
        _pass({"Result": _GREETING, "ResultPath": "$.taskresult"}),
        _EXAMPLE,
        output={**_EXAMPLE, "taskresult": _GREETING},
    ),
    AslCase(
        "ResultPath creates the nodes it names",
        "input and output",
        RESULT_PATH,
        _pass({"Result": {"ok": True}, "ResultPath": "$.checks.first"}),
        {"order": 1},
        output={"order": 1, "checks": {"first": {"ok": True}}},
    ),
    AslCase(
        "OutputPath selects part of the state's output",
        "input and output",
        PARAMETERS,
        _pass({"Result": {"keep": "this", "drop": "that"}, "ResultPath": "$.result", "OutputPath": "$.result.keep"}),
        {"x": 1},
        output="this",
    ),
    AslCase(
        "InputPath, Parameters and OutputPath",
        "input and output",
        PARAMETERS,
        _pass({"InputPath": "$.library", "Parameters": {"staticValue": 42, "title.$": "$.title"}, "OutputPath": "$"}),
        {"library": {"title": "Hello", "author": "Someone"}},
        output={"staticValue": 42, "title": "Hello"},
    ),
    AslCase(
        "the context object's execution input",
        "input and output",
        CONTEXT,
        _pass({"Parameters": {"original.$": "$$.Execution.Input"}}),
        {"a": 1},
        output={"original": {"a": 1}},
    ),
    # -- Choice ------------------------------------------------------------------------------------------------------
    AslCase(
        "Choice rules: And, Not, numeric and IsPresent",
        "choice",
        CHOICE,
        _yes_or_no(
            {
                "And": [
                    {"Variable": "$.value", "NumericGreaterThanEquals": 20},
                    {"Variable": "$.value", "NumericLessThan": 30},
                    {"Not": {"Variable": "$.type", "StringEquals": "Private"}},
                    {"Variable": "$.missing", "IsPresent": False},
                ]
            }
        ),
        {"value": 25, "type": "Public"},
        output="yes",
    ),
    AslCase(
        "Choice StringMatches with a wildcard",
        "choice",
        CHOICE,
        _yes_or_no({"Variable": "$.file", "StringMatches": "log-*.txt"}),
        {"file": "log-2024-01-01.txt"},
        output="yes",
    ),
    AslCase(
        "Choice takes the Default when no rule matches",
        "choice",
        CHOICE,
        _yes_or_no({"Variable": "$.n", "NumericEquals": 1}),
        {"n": 2},
        output="no",
    ),
    AslCase(
        "Choice StringMatches: an escaped asterisk is a literal one",
        "choice",
        CHOICE,
        _yes_or_no({"Variable": "$.file", "StringMatches": "log\\*.txt"}),
        {"file": "log-1.txt"},
        output="no",
    ),
    AslCase(
        "Choice with no matching rule and no Default fails States.NoChoiceMatched",
        "choice",
        CHOICE,
        {
            "StartAt": "C",
            "States": {
                "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "One"}]},
                "One": {"Type": "Pass", "End": True},
            },
        },
        {"n": 2},
        status="FAILED",
        error="States.NoChoiceMatched",
    ),
    AslCase(
        "Choice comparing two fields of the input (a Path operator)",
        "choice",
        CHOICE,
        _yes_or_no({"Variable": "$.paid", "NumericGreaterThanEqualsPath": "$.total"}),
        {"paid": 30, "total": 25},
        output="yes",
    ),
    AslCase(
        "Choice on a timestamp",
        "choice",
        CHOICE,
        _yes_or_no({"Variable": "$.at", "TimestampGreaterThan": "2024-01-01T00:00:00Z"}),
        {"at": "2024-06-01T12:00:00Z"},
        output="yes",
    ),
    # -- Map and Parallel --------------------------------------------------------------------------------------------
    AslCase(
        "Map: ItemSelector with the item's index and value",
        "map and parallel",
        MAP,
        {
            "StartAt": "M",
            "States": {
                "M": {
                    "Type": "Map",
                    "ItemsPath": "$.items",
                    "ItemSelector": {"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value"},
                    "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
                    "End": True,
                }
            },
        },
        {"items": ["a", "b"]},
        output=[{"index": 0, "value": "a"}, {"index": 1, "value": "b"}],
    ),
    AslCase(
        "Parallel: an array of the branches' outputs, in branch order",
        "map and parallel",
        PARALLEL,
        {
            "StartAt": "P",
            "States": {
                "P": {
                    "Type": "Parallel",
                    "Branches": [
                        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "first", "End": True}}},
                        {"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": "second", "End": True}}},
                    ],
                    "End": True,
                }
            },
        },
        {},
        output=["first", "second"],
    ),
    AslCase(
        "Parallel ResultSelector picks from the branches' outputs",
        "map and parallel",
        PARALLEL,
        {
            "StartAt": "P",
            "States": {
                "P": {
                    "Type": "Parallel",
                    "Branches": [
                        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": {"n": 1}, "End": True}}},
                        {"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": {"n": 2}, "End": True}}},
                    ],
                    "ResultSelector": {"first.$": "$[0].n", "second.$": "$[1].n"},
                    "End": True,
                }
            },
        },
        {},
        output={"first": 1, "second": 2},
    ),
    # -- errors ------------------------------------------------------------------------------------------------------
    AslCase(
        "Fail: the execution fails with its Error and Cause",
        "errors",
        ERRORS,
        {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "ErrorA", "Cause": "Kaiju attack"}}},
        {},
        status="FAILED",
        error="ErrorA",
        cause_starts="Kaiju attack",
    ),
    AslCase(
        "Catch: the error output under ResultPath",
        "errors",
        ERRORS,
        {
            "StartAt": "P",
            "States": {
                "P": {
                    "Type": "Parallel",
                    "Branches": [
                        {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "ErrorA", "Cause": "Kaiju"}}}
                    ],
                    "Catch": [{"ErrorEquals": ["ErrorA"], "ResultPath": "$.error", "Next": "Recovered"}],
                    "End": True,
                },
                "Recovered": {"Type": "Pass", "End": True},
            },
        },
        {"order": 1},
        output={"order": 1, "error": {"Error": "ErrorA", "Cause": "Kaiju"}},
    ),
    AslCase(
        "States.ALL catches a branch's error",
        "errors",
        ERRORS,
        {
            "StartAt": "P",
            "States": {
                "P": {
                    "Type": "Parallel",
                    "Branches": [{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Custom"}}}],
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                    "End": True,
                },
                "Caught": {"Type": "Pass", "Result": "caught", "End": True},
            },
        },
        {},
        output="caught",
    ),
    AslCase(
        "Fail: Error and Cause read from the input (ErrorPath, CausePath)",
        "errors",
        FAIL,
        {"StartAt": "F", "States": {"F": {"Type": "Fail", "ErrorPath": "$.code", "CausePath": "$.why"}}},
        {"code": "OutOfStock", "why": "sku A is gone"},
        status="FAILED",
        error="OutOfStock",
        cause_starts="sku A is gone",
    ),
    AslCase(
        "a Retry that runs out of attempts fails with the error",
        "errors",
        ERRORS,
        {
            "StartAt": "P",
            "States": {
                "P": {
                    "Type": "Parallel",
                    "Branches": [{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Flaky"}}}],
                    "Retry": [{"ErrorEquals": ["Flaky"], "MaxAttempts": 2, "IntervalSeconds": 1}],
                    "End": True,
                }
            },
        },
        {},
        status="FAILED",
        error="Flaky",
    ),
    AslCase(
        "Wait: the execution goes on when the time is up",
        "errors",
        WAIT,
        {
            "StartAt": "W",
            "States": {
                "W": {"Type": "Wait", "Seconds": 30, "Next": "Done"},
                "Done": {"Type": "Pass", "Result": "waited", "End": True},
            },
        },
        {},
        output="waited",
    ),
    # -- JSONata and variables -----------------------------------------------------------------------------------
    AslCase(
        "JSONata Output from $states.input",
        "jsonata and variables",
        JSONATA,
        _jsonata({"S": {"Type": "Pass", "Output": {"total": "{% $sum($states.input.prices) %}"}, "End": True}}, "S"),
        {"prices": [1, 2, 3.5]},
        output={"total": 6.5},
    ),
    AslCase(
        "a variable Assigned is read by a later state",
        "jsonata and variables",
        VARIABLES,
        _jsonata(
            {
                "A": {"Type": "Pass", "Assign": {"customer": "{% $states.input.name %}"}, "Next": "B"},
                "B": {"Type": "Pass", "Output": {"greeting": "{% 'Hello, ' & $customer %}"}, "End": True},
            },
            "A",
        ),
        {"name": "Ana"},
        output={"greeting": "Hello, Ana"},
    ),
    AslCase(
        "Output reads the variables as they were on entering the state, not its own Assign",
        "jsonata and variables",
        VARIABLES,  # "Assign and Output are evaluated in parallel": both read the values from before the state
        _jsonata(
            {
                "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "B"},
                "B": {"Type": "Pass", "Assign": {"x": 2}, "Output": "{% $x %}", "End": True},
            },
            "A",
        ),
        {},
        output=1,
    ),
    AslCase(
        "$partition splits an array into chunks, the last holding what is left",
        "jsonata and variables",
        JSONATA,
        _jsonata({"S": {"Type": "Pass", "Output": "{% $partition([1, 2, 3, 4, 5], 2) %}", "End": True}}, "S"),
        {},
        output=[[1, 2], [3, 4], [5]],
    ),
    AslCase(
        "JSONata reads the state's own name from $states.context",
        "jsonata and variables",
        JSONATA,
        _jsonata({"Named": {"Type": "Pass", "Output": "{% $states.context.State.Name %}", "End": True}}, "Named"),
        {},
        output="Named",
    ),
    AslCase(
        "JSONata Choice Condition",
        "jsonata and variables",
        JSONATA,
        _jsonata(
            {
                "C": {
                    "Type": "Choice",
                    "Choices": [{"Condition": "{% $states.input.n > 10 %}", "Next": "Big"}],
                    "Default": "Small",
                },
                "Big": {"Type": "Pass", "Output": "big", "End": True},
                "Small": {"Type": "Pass", "Output": "small", "End": True},
            },
            "C",
        ),
        {"n": 11},
        output="big",
    ),
    AslCase(
        "JSONata Map over Items",
        "jsonata and variables",
        JSONATA,
        _jsonata(
            {
                "M": {
                    "Type": "Map",
                    "Items": "{% $states.input.numbers %}",
                    "ItemProcessor": {
                        "StartAt": "Double",
                        "States": {"Double": {"Type": "Pass", "Output": "{% $states.input * 2 %}", "End": True}},
                    },
                    "End": True,
                }
            },
            "M",
        ),
        {"numbers": [1, 2, 3]},
        output=[2, 4, 6],
    ),
]
