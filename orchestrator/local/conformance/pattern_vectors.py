"""EventBridge event-pattern test vectors, each taken from (and citing) AWS's documentation, not from an emulator.
The tests (tests/integration/test_event_patterns.py) and `orch local conformance` run them.

Sources (the `source` of each vector):
- EP: EventBridge User Guide, "Creating Amazon EventBridge event patterns"
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
- CF: EventBridge User Guide, "Content filtering in Amazon EventBridge event patterns"
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
- OPS: EventBridge User Guide, "Comparison operators for use in event patterns in Amazon EventBridge"
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
- ARR: EventBridge User Guide, "Arrays in Amazon EventBridge event patterns"
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html
- NUL: EventBridge User Guide, "Matching null values and empty strings in Amazon EventBridge event patterns"
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-null-values.html
- RULER: aws/event-ruler README (the library EventBridge matches with) https://github.com/aws/event-ruler#readme
- API: EventBridge API Reference, TestEventPattern and PutRule (InvalidEventPatternException)
  https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_TestEventPattern.html

Where a vector applies a documented rule to a value the page does not show (a number where the page says "only string
values", say), its `source` names the page whose rule it applies. Custom fields sit under `detail`, as PutEvents
allows; the account is the local runtime's (123456789012) so that the same event can be delivered.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Final

EP: Final = "EP"
CF: Final = "CF"
OPS: Final = "OPS"
ARR: Final = "ARR"
NUL: Final = "NUL"
RULER: Final = "RULER"
API: Final = "API"

# The EC2 sample event of the event-ruler README (account set to the local runtime's).
ENVELOPE: Final[dict[str, Any]] = {
    "version": "0",
    "id": "ddddd4-aaaa-7777-4444-345dd43cc333",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "123456789012",
    "time": "2017-10-02T16:24:49Z",
    "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
    "detail": {
        "c-count": 5,
        "d-count": 3,
        "x-limit": 301.8,
        "source-ip": "10.0.0.33",
        "instance-id": "i-000000aaaaaa00000",
        "state": "running",
    },
}


@dataclass(frozen=True)
class Vector:
    source: str
    pattern: dict[str, Any]
    event: dict[str, Any]
    expected: bool
    name: str


def event(detail: dict[str, Any] | None = None, **envelope: Any) -> dict[str, Any]:
    """The README sample event with `detail` replaced (when given) and envelope fields overridden
    (`detail_type` for `detail-type`)."""
    built = copy.deepcopy(ENVELOPE)
    if detail is not None:
        built["detail"] = detail
    for name, value in envelope.items():
        built[name.replace("_", "-")] = value
    return built


VECTORS: list[Vector] = []


def case(source: str, pattern: dict[str, Any], *outcomes: tuple[dict[str, Any], bool], name: str) -> None:
    for index, (built, expected) in enumerate(outcomes):
        VECTORS.append(Vector(source, pattern, built, expected, f"{name}-{index}"))


def detail(field: str, pattern: list[Any], *outcomes: tuple[Any, bool], name: str, source: str) -> None:
    """A pattern on one detail field, against events whose field holds each value (`ABSENT`: no field)."""
    for index, (value, expected) in enumerate(outcomes):
        built = event({} if value is ABSENT else {field: value})
        VECTORS.append(Vector(source, {"detail": {field: pattern}}, built, expected, f"{name}-{index}"))


ABSENT: Final = object()
T, F = True, False

# -- exact values and the envelope ---------------------------------------------------------------------------------
case(EP, {"source": ["aws.ec2"]}, (event(), T), (event(source="aws.s3"), F), name="source")
case(EP, {"source": ["AWS.EC2"]}, (event(), F), name="source-is-case-sensitive")
case(EP, {"source": ["aws.s3", "aws.ec2"]}, (event(), T), (event(source="aws.sqs"), F), name="source-any-of")
case(
    EP,
    {
        "source": ["aws.ec2"],
        "detail-type": ["EC2 Instance State-change Notification"],
        "detail": {"state": ["terminated"]},
    },
    (event({"instance-id": "i-1234567890abcdef0", "state": "terminated"}), T),
    (event({"instance-id": "i-1234567890abcdef0", "state": "running"}), F),
    (event({"state": "terminated"}, source="aws.s3"), F),
    (event({"state": "terminated"}, detail_type="EC2 Spot Instance Interruption Warning"), F),
    name="ec2-termination",
)
case(
    RULER,
    {
        "detail-type": ["EC2 Instance State-change Notification"],
        "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
        "detail": {"state": ["initializing", "running"]},
    },
    (event(), T),
    (event({"state": "initializing"}), T),
    (event({"state": "stopped"}), F),
    (event({}), F),
    (event(resources=[]), F),
    name="ruler-simple",
)
case(EP, {"account": ["123456789012"]}, (event(), T), name="account")
case(EP, {"account": ["111122223333"]}, (event(), F), name="account-other")
case(EP, {"region": ["us-east-1"]}, (event(), T), name="region")
case(EP, {"region": ["eu-west-1"]}, (event(), F), name="region-other")
case(OPS, {"region": [{"prefix": "us-"}]}, (event(), T), name="region-in-the-us")
case(CF, {"source": ["aws.autoscaling"], "region": [{"prefix": "eu-"}]}, (event(source="aws.autoscaling"), F),
     name="autoscaling-in-europe")  # fmt: skip
case(OPS, {"region": [{"anything-but": {"prefix": "us-"}}]}, (event(), F), name="region-not-in-the-us")
case(CF, {"time": [{"prefix": "2017-10-02"}]}, (event(), T), (event(time="2017-10-03T00:00:00Z"), F), name="time")
case(EP, {"time": ["2017-10-02T16:24:49Z"]}, (event(), T), (event(time="2017-10-02T16:24:50Z"), F), name="time-exact")
case(
    EP, {"detail-type": ["EC2 Instance State-change Notification"]},
    (event(), T), (event(detail_type="EC2 Instance Launch Successful"), F), name="detail-type",
)  # fmt: skip
case(OPS, {"detail-type": [{"equals-ignore-case": "ec2 instance state-change notification"}]}, (event(), T),
     name="detail-type-ignore-case")  # fmt: skip
case(RULER, {"source": [{"suffix": "ec2"}]}, (event(), T), (event(source="aws.s3"), F), name="source-suffix")
case(RULER, {"source": [{"equals-ignore-case": "AWS.EC2"}]}, (event(), T), name="source-ignore-case")
case(RULER, {"source": [{"equals-ignore-case": "EC2"}]}, (event(), F), name="source-ignore-case-whole-value")
case(RULER, {"source": [{"wildcard": "aws.*"}]}, (event(), T), (event(source="shop.orders"), F), name="source-wildcard")
_INSTANCES = [
    "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
    "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
    "arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f",
]
_ASG = (
    "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:"
    "autoScalingGroupName/ASGTerminate"
)
case(
    ARR, {"resources": _INSTANCES},
    (event(resources=[_ASG, "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]), T),
    (event(resources=[_ASG]), F),
    (event(resources=[]), F),
    name="resources-intersect",
)  # fmt: skip
case(ARR, {"resources": [{"prefix": "arn:aws:autoscaling:"}]}, (event(resources=[_ASG, _INSTANCES[0]]), T),
     (event(resources=_INSTANCES), F), name="resources-prefix")  # fmt: skip

# -- null, empty and boolean values --------------------------------------------------------------------------------
_NULLS = {"eventVersion": "", "responseElements": None}
case(NUL, {"detail": {"eventVersion": [""]}}, (event(_NULLS, source="aws.autoscaling", resources=[]), T), name="empty")
case(NUL, {"detail": {"responseElements": [None]}}, (event(_NULLS), T), name="null")
case(NUL, {"detail": {"eventVersion": [None]}}, (event(_NULLS), F), name="null-is-not-empty")
case(NUL, {"detail": {"responseElements": [""]}}, (event(_NULLS), F), name="empty-is-not-null")
case(NUL, {"detail": {"missing": [None]}}, (event(_NULLS), F), name="null-is-not-absent")
detail("LastName", [""], ("", T), ("Smith", F), (ABSENT, F), name="last-name-empty", source=OPS)
detail("UserID", [None], (None, T), ("u-1", F), (0, F), name="user-id-null", source=OPS)
detail("enabled", [True], (True, T), (False, F), ("true", F), (1, F), name="boolean-true", source=RULER)
detail("enabled", [False], (False, T), (True, F), (0, F), name="boolean-false", source=RULER)

# -- prefix, suffix, equals-ignore-case ----------------------------------------------------------------------------
detail("state", [{"prefix": "init"}], ("initializing", T), ("running", F), ("Initializing", F), (ABSENT, F),
       (["running", "initializing"], T), name="prefix", source=CF)  # fmt: skip
detail("c-count", [{"prefix": "5"}], (5, F), ("5", T), name="prefix-strings-only", source=RULER)
detail("service", [{"prefix": {"equals-ignore-case": "EventB"}}], ("eventbridge", T), ("EVENTBRIDGE", T),
       ("EVENTS", F), ("amazon eventbridge", F), name="prefix-ignore-case", source=CF)  # fmt: skip
detail("service", [{"prefix": "EventB"}], ("eventbridge", F), ("EventBridge", T), name="prefix-case", source=CF)
detail("FileName", [{"suffix": ".png"}], ("image.png", T), ("image.jpg", F), ("image.PNG", F), (ABSENT, F),
       name="suffix", source=CF)  # fmt: skip
detail("service", [{"suffix": {"equals-ignore-case": "tBridge"}}], ("eventbridge", T), ("EVENTBRIDGE", T),
       ("EventBus", F), name="suffix-ignore-case", source=OPS)  # fmt: skip
detail("version", [{"suffix": "1"}], (11, F), ("v1", T), name="suffix-strings-only", source=RULER)
detail("Name", [{"equals-ignore-case": "alice"}], ("Alice", T), ("ALICE", T), ("Alicia", F), (ABSENT, F),
       name="equals-ignore-case", source=OPS)  # fmt: skip
detail("Name", ["Alice"], ("Alice", T), ("alice", F), (["Bob", "Alice"], T), name="equals", source=OPS)

# -- wildcard ------------------------------------------------------------------------------------------------------
detail("service", [{"wildcard": "Simple*Service"}], ("SimpleQueueService", T), ("SimpleService", T),
       ("SimpleQueueServices", F), ("simplequeueservice", F), name="wildcard", source=RULER)  # fmt: skip
detail("FilePath", [{"wildcard": "dir/*.png"}], ("dir/a.png", T), ("dir/sub/a.png", T), ("other/a.png", F),
       ("dir/a.png.txt", F), name="wildcard-path", source=OPS)  # fmt: skip
detail("name", [{"wildcard": "a\\*b"}], ("a*b", T), ("axb", F), name="wildcard-escaped-star", source=RULER)
detail("name", [{"wildcard": "a\\\\b"}], ("a\\b", T), ("ab", F), name="wildcard-escaped-backslash", source=RULER)
detail("name", [{"wildcard": "*"}], ("", T), ("anything", T), (5, F), (ABSENT, F), name="wildcard-star", source=RULER)
detail("name", [{"wildcard": "abc"}], ("abc", T), ("abcd", F), name="wildcard-no-star", source=RULER)
detail("name", [{"wildcard": "*a*b*"}], ("xaxbx", T), ("ab", T), ("ba", F), name="wildcard-many", source=RULER)

# -- anything-but --------------------------------------------------------------------------------------------------
detail("state", [{"anything-but": "initializing"}], ("running", T), ("initializing", F), (ABSENT, F),
       name="anything-but-string", source=CF)  # fmt: skip
detail("x-limit", [{"anything-but": 123}], (456, T), (123, F), (123.0, F), name="anything-but-number", source=CF)
detail("state", [{"anything-but": ["stopped", "overloaded"]}], ("running", T), ("stopped", F), ("overloaded", F),
       name="anything-but-strings", source=CF)  # fmt: skip
detail("x-limit", [{"anything-but": [100, 200, 300]}], (150, T), (200, F), (300, F), name="anything-but-numbers",
       source=CF)  # fmt: skip
detail("state", [{"anything-but": {"prefix": "init"}}], ("initializing", F), ("running", T), (ABSENT, F),
       name="anything-but-prefix", source=CF)  # fmt: skip
detail("FileName", [{"anything-but": {"suffix": ".png"}}], ("a.png", F), ("a.txt", T), name="anything-but-suffix",
       source=OPS)  # fmt: skip
detail("state", [{"anything-but": {"equals-ignore-case": "initializing"}}], ("INITIALIZING", F), ("running", T),
       name="anything-but-ignore-case", source=OPS)  # fmt: skip
detail("state", [{"anything-but": {"equals-ignore-case": ["stopped", "overloaded"]}}], ("STOPPED", F),
       ("Overloaded", F), ("Running", T), name="anything-but-ignore-case-list", source=OPS)  # fmt: skip
detail("FilePath", [{"anything-but": {"wildcard": "*/lib/*"}}], ("/usr/lib/x", F), ("/usr/bin/x", T),
       name="anything-but-wildcard", source=OPS)  # fmt: skip
detail("FilePath", [{"anything-but": {"wildcard": ["*/lib/*", "*/bin/*"]}}], ("/usr/bin/x", F), ("/etc/x", T),
       name="anything-but-wildcards", source=OPS)  # fmt: skip
detail("Weather", [{"anything-but": "Raining"}], ("Sunny", T), ("Raining", F), (["Raining"], F),
       (["Raining", "Sunny"], T), name="anything-but-array", source=ARR)  # fmt: skip

# -- numeric -------------------------------------------------------------------------------------------------------
detail("c-count", [{"numeric": [">", 0, "<=", 5]}], (5, T), (0, F), (6, F), (3.5, T), ("5", F), (ABSENT, F),
       name="numeric-range", source=CF)  # fmt: skip
detail("d-count", [{"numeric": ["<", 10]}], (9.999, T), (10, F), (-3, T), (None, F), name="numeric-below",
       source=CF)  # fmt: skip
detail("x-limit", [{"numeric": ["=", 3.018e2]}], (301.8, T), (301.9, F), name="numeric-equals", source=CF)
detail("Price", [{"numeric": ["=", 100]}], (100, T), (100.0, T), (1e2, T), ("100", F), (True, F),
       name="numeric-price", source=OPS)  # fmt: skip
detail("Price", [{"numeric": [">", 10, "<=", 20]}], (10, F), (15, T), (20, T), (20.000001, F), name="numeric-between",
       source=OPS)  # fmt: skip
detail("Price", [{"numeric": [">=", 10, "<", 20]}], (10, T), (20, F), (-10, F), name="numeric-half-open", source=RULER)
detail("Price", [{"numeric": [">=", 10]}], (10, T), (9, F), (5.0e9, T), (6.0e9, F), name="numeric-at-least",
       source=CF)  # fmt: skip
detail("Price", [{"numeric": ["<=", 20]}], (20, T), (21, F), (-5.0e9, T), name="numeric-at-most", source=RULER)
detail("Price", [{"numeric": ["<", 10]}], ([50, 1], T), ([50, 60], F), name="numeric-array", source=ARR)
detail("Price", [100], (100, T), (100.0, T), ("100", F), name="number-exact", source=OPS)
detail("Price", ["100"], ("100", T), (100, F), name="string-not-number", source=RULER)

# -- cidr ----------------------------------------------------------------------------------------------------------
detail("sourceIPAddress", [{"cidr": "10.0.0.0/24"}], ("10.0.0.33", T), ("10.0.0.255", T), ("10.0.1.1", F),
       ("not-an-ip", F), (ABSENT, F), name="cidr", source=CF)  # fmt: skip
detail("sourceIPAddress", [{"cidr": "2001:db8::/32"}], ("2001:db8::1", T), ("2001:db9::1", F), ("10.0.0.1", F),
       name="cidr-ipv6", source=RULER)  # fmt: skip
detail("sourceIPAddress", [{"cidr": "192.168.1.1/32"}], ("192.168.1.1", T), ("192.168.1.2", F), name="cidr-host",
       source=CF)  # fmt: skip

# -- exists --------------------------------------------------------------------------------------------------------
detail("c-count", [{"exists": True}], (5, T), ("x", T), (ABSENT, F), ({"c1": 100}, F), name="exists", source=RULER)
detail("c-count", [{"exists": False}], (ABSENT, T), (5, F), ({"c1": 100}, T), name="exists-false", source=CF)
case(
    CF, {"detail": {"c-count": [{"exists": False}]}},
    (event({"state": ["initializing", "running"]}), T),
    (event({"state": ["initializing", "running"], "c-count": {"c1": 100}}), T),
    name="exists-false-docs",
)  # fmt: skip
case(OPS, {"detail": {"ProductName": [{"exists": True}]}}, (event({"ProductName": ["a", "b"]}), T),
     (event({"Product": "a"}), F), name="exists-array")  # fmt: skip

# -- arrays in the event, and arrays of objects --------------------------------------------------------------------
detail("state", ["running"], (["initializing", "running"], T), (["stopped"], F), ([], F), name="array", source=ARR)
detail("state", [3], ([[1, 2], [3]], T), ([[1, 2]], F), name="array-nested", source=RULER)
_EMPLOYEES = [
    {"firstName": "John", "lastName": "Doe"},
    {"firstName": "Anna", "lastName": "Smith"},
    {"firstName": "Peter", "lastName": "Jones"},
]
_NESTED_EMPLOYEES = [_EMPLOYEES[:2], _EMPLOYEES[2:]]
for _name, _employees in (("employees", _EMPLOYEES), ("employees-nested", _NESTED_EMPLOYEES)):
    case(RULER, {"detail": {"employees": {"firstName": ["Anna"]}}}, (event({"employees": _employees}), T),
         name=f"{_name}-anna")  # fmt: skip
    case(RULER, {"detail": {"employees": {"firstName": ["Peter"]}}}, (event({"employees": _employees}), T),
         name=f"{_name}-peter")  # fmt: skip
    case(RULER, {"detail": {"employees": {"firstName": ["Mary"]}}}, (event({"employees": _employees}), F),
         name=f"{_name}-mary")  # fmt: skip
    case(RULER, {"detail": {"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}}},
         (event({"employees": _employees}), F), name=f"{_name}-anna-jones")  # fmt: skip
    case(RULER, {"detail": {"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}}},
         (event({"employees": _employees}), T), name=f"{_name}-anna-smith")  # fmt: skip
case(RULER, {"detail": {"employees": {"lastName": [{"prefix": "Jo"}]}}}, (event({"employees": _EMPLOYEES}), T),
     name="employees-prefix")  # fmt: skip
case(RULER, {"detail": {"employees": {"firstName": [{"anything-but": ["John", "Anna"]}]}}},
     (event({"employees": _EMPLOYEES}), T), (event({"employees": _EMPLOYEES[:2]}), F),
     name="employees-anything-but")  # fmt: skip
_ORDERS = {"orders": [{"id": 1, "items": [{"sku": "A", "qty": 1}]}, {"id": 2, "items": [{"sku": "B", "qty": 7}]}]}
case(RULER, {"detail": {"orders": {"items": {"sku": ["B"]}}}}, (event(_ORDERS), T), name="orders-deep")
case(RULER, {"detail": {"orders": {"items": {"sku": ["B"], "qty": [{"numeric": [">", 5]}]}}}}, (event(_ORDERS), T),
     name="orders-deep-numeric")  # fmt: skip
case(RULER, {"detail": {"orders": {"items": {"sku": ["A"], "qty": [{"numeric": [">", 5]}]}}}}, (event(_ORDERS), F),
     name="orders-deep-consistent")  # fmt: skip
case(RULER, {"detail": {"orders": {"id": [2], "items": {"sku": ["B"]}}}}, (event(_ORDERS), T),
     (event({"orders": [{"id": 1, "items": [{"sku": "B"}]}, {"id": 2, "items": [{"sku": "A"}]}]}), F),
     name="orders-levels-consistent")  # fmt: skip
case(RULER, {"detail": {"orders": {"coupon": [{"exists": True}]}}}, (event(_ORDERS), F),
     (event({"orders": [{"id": 1}, {"id": 2, "coupon": "X"}]}), T), name="orders-exists")  # fmt: skip

# -- nested fields -------------------------------------------------------------------------------------------------
case(EP, {"detail": {"a": {"b": {"c": ["deep"]}}}}, (event({"a": {"b": {"c": "deep"}}}), T),
     (event({"a": {"b": {"c": "shallow"}}}), F), (event({"a": {"b": "deep"}}), F), (event({"a": "deep"}), F),
     name="nested")  # fmt: skip
case(EP, {"detail": {"a": {"b": ["x"]}, "c": ["y"]}}, (event({"a": {"b": "x"}, "c": "y"}), T),
     (event({"a": {"b": "x"}, "c": "z"}), F), name="nested-and")  # fmt: skip

# -- $or -----------------------------------------------------------------------------------------------------------
case(OPS, {"detail": {"$or": [{"Location": ["New York"]}, {"Day": ["Monday"]}]}},
     (event({"Location": "New York", "Day": "Tuesday"}), T), (event({"Location": "Boston", "Day": "Monday"}), T),
     (event({"Location": "Boston", "Day": "Tuesday"}), F), name="or")  # fmt: skip
case(OPS, {"detail": {"PaymentType": ["Credit", "Debit"]}}, (event({"PaymentType": "Debit"}), T),
     (event({"PaymentType": "Cash"}), F), name="or-values")  # fmt: skip
_CW = {"metricName": "CPUUtilization", "namespace": "AWS/Lambda", "metricType": "MetricType", "scope": "Other"}
case(RULER, {"source": ["aws.cloudwatch"], "detail": {"$or": [
    {"metricName": ["CPUUtilization", "ReadLatency"]}, {"namespace": ["AWS/EC2", "AWS/ES"]}]}},
     (event(_CW, source="aws.cloudwatch"), T), (event({**_CW, "metricName": "X"}, source="aws.cloudwatch"), F),
     (event({**_CW, "metricName": "X", "namespace": "AWS/ES"}, source="aws.cloudwatch"), T),
     (event(_CW, source="aws.ec2"), F), name="or-normal")  # fmt: skip
case(RULER, {"detail": {"$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}]},
             "$or": [{"source": ["aws.cloudwatch"]}, {"detail-type": ["CloudWatch Alarm State Change"]}]},
     (event(_CW, source="aws.cloudwatch"), T), (event(_CW, detail_type="CloudWatch Alarm State Change"), T),
     (event(_CW), F), (event({**_CW, "metricName": "X"}, source="aws.cloudwatch"), F),
     name="or-parallel")  # fmt: skip
_AND_INSIDE = {"source": ["aws.cloudwatch"], "detail": {"$or": [
    {"metricName": ["CPUUtilization", "ReadLatency"]},
    {"metricType": ["MetricType"], "namespace": ["AWS/EC2", "AWS/ES"]},
    {"scope": ["Service"]}]}}  # fmt: skip
_OTHER = {"metricName": "X", "metricType": "MetricType", "namespace": "AWS/Lambda", "scope": "Other"}
case(RULER, _AND_INSIDE, (event({**_OTHER, "namespace": "AWS/ES"}, source="aws.cloudwatch"), T),
     (event({**_OTHER, "metricType": "Y", "namespace": "AWS/ES"}, source="aws.cloudwatch"), F),
     (event({**_OTHER, "scope": "Service"}, source="aws.cloudwatch"), T), (event(_OTHER, source="aws.cloudwatch"), F),
     name="or-and-inside")  # fmt: skip
_NESTED_OR = {"source": ["aws.cloudwatch"], "detail": {"$or": [
    {"metricName": ["CPUUtilization", "ReadLatency"]},
    {"metricType": ["MetricType"], "namespace": ["AWS/EC2", "AWS/ES"],
     "$or": [{"metricId": [1234]}, {"spaceId": [1000]}]},
    {"scope": ["Service"]}]}}  # fmt: skip
case(RULER, _NESTED_OR, (event({**_OTHER, "namespace": "AWS/EC2", "spaceId": 1000}, source="aws.cloudwatch"), T),
     (event({**_OTHER, "namespace": "AWS/EC2", "metricId": 1234}, source="aws.cloudwatch"), T),
     (event({**_OTHER, "namespace": "AWS/EC2", "spaceId": 1}, source="aws.cloudwatch"), F),
     name="or-nested")  # fmt: skip
case(RULER, {"$or": [{"source": ["aws.s3"]}, {"detail": {"state": ["running"]}}]}, (event(), T),
     (event({"state": "stopped"}), F), (event({"state": "stopped"}, source="aws.s3"), T), name="or-levels")  # fmt: skip

# -- several values in one leaf, and the complex examples ----------------------------------------------------------
detail("name", [{"prefix": "a"}, {"suffix": "z"}], ("bz", T), ("ab", T), ("bb", F), name="leaf-any-of", source=RULER)
detail("limit", ["x", {"numeric": [">", 5]}], (7, T), ("x", T), (3, F), name="leaf-mixed", source=RULER)
_COMPLEX: dict[str, Any] = {
    "time": [{"prefix": "2017-10-02"}],
    "detail": {
        "state": [{"anything-but": "initializing"}],
        "c-count": [{"numeric": [">", 0, "<=", 5]}],
        "d-count": [{"numeric": ["<", 10]}],
        "x-limit": [{"anything-but": [100, 200, 300]}],
        "source-ip": [{"cidr": "10.0.0.0/8"}],
    },
}
_README_DETAIL = ENVELOPE["detail"]
case(
    RULER, _COMPLEX,
    (event(), T),
    (event({**_README_DETAIL, "x-limit": 200}), F),
    (event({**_README_DETAIL, "state": "initializing"}), F),
    (event({**_README_DETAIL, "source-ip": "11.0.0.1"}), F),
    (event({**_README_DETAIL, "d-count": 10}), F),
    (event(time="2017-10-03T16:24:49Z"), F),
    name="complex",
)  # fmt: skip
case(CF, {"detail": {k: v for k, v in _COMPLEX["detail"].items() if k != "source-ip"}, "time": _COMPLEX["time"]},
     (event(), T), (event({**_README_DETAIL, "c-count": 0}), F), name="complex-docs")  # fmt: skip


# -- invalid patterns: (source, pattern text, a phrase of the reason) ----------------------------------------------
INVALID: Final[list[tuple[str, str, str]]] = [
    (API, "{", "Invalid JSON"),
    (RULER, "[]", "Filter is not an object"),
    (RULER, '"aws.ec2"', "Filter is not an object"),
    (RULER, "{}", "Empty objects are not allowed"),
    (RULER, '{"detail": {}}', "Empty objects are not allowed"),
    (EP, '{"source": "aws.ec2"}', '"source" must be an object or an array'),
    (EP, '{"detail": {"count": 5}}', '"count" must be an object or an array'),
    (RULER, '{"source": []}', "Empty arrays are not allowed"),
    (RULER, '{"source": [["aws.ec2"]]}', "Match value must be String, number, true, false, or null"),
    (RULER, '{"source": [{"regex": "aws.*"}]}', "Unrecognized match type regex"),
    (RULER, '{"source": [{}]}', "Match expression name not found"),
    (RULER, '{"source": [{"prefix": "a", "suffix": "b"}]}', "Only one key allowed in match expression"),
    (CF, '{"source": [{"prefix": 5}]}', "prefix match pattern must be a string"),
    (CF, '{"source": [{"prefix": {"equals-ignore-case": 5}}]}', "prefix match pattern must be a string"),
    (CF, '{"source": [{"suffix": ["a"]}]}', "suffix match pattern must be a string"),
    (RULER, '{"source": [{"equals-ignore-case": 5}]}', "equals-ignore-case match pattern must be a string"),
    (RULER, '{"source": [{"wildcard": 5}]}', "wildcard match pattern must be a string"),
    (RULER, '{"source": [{"wildcard": "a**b"}]}', "Consecutive wildcard characters"),
    (RULER, '{"source": [{"wildcard": "a\\\\xb"}]}', "Invalid escape character"),
    (CF, '{"detail": {"n": [{"numeric": 5}]}}', "Value of numeric must be an array"),
    (CF, '{"detail": {"n": [{"numeric": ["=", "5"]}]}}', "Value of = must be numeric"),
    (CF, '{"detail": {"n": [{"numeric": ["!=", 5]}]}}', "Unrecognized numeric range operator: !="),
    (CF, '{"detail": {"n": [{"numeric": [5]}]}}', "Invalid member in numeric match"),
    (CF, '{"detail": {"n": [{"numeric": [">"]}]}}', "Value of > must be numeric"),
    (CF, '{"detail": {"n": [{"numeric": [">", 0, ">", 5]}]}}', "Bad numeric range operator: >"),
    (CF, '{"detail": {"n": [{"numeric": ["<", 5, ">", 1]}]}}', "Too many elements in numeric expression"),
    (CF, '{"detail": {"n": [{"numeric": [">", 10, "<", 5]}]}}', "Bottom must be less than top"),
    (CF, '{"detail": {"n": [{"numeric": ["=", 6e9]}]}}', "Value must be between -5.0E9 and 5.0E9"),
    (CF, '{"detail": {"n": [{"numeric": [">", -6e9]}]}}', "Value must be between -5.0E9 and 5.0E9"),
    (CF, '{"detail": {"s": [{"anything-but": null}]}}', "Value of anything-but must be an array or single"),
    (CF, '{"detail": {"s": [{"anything-but": true}]}}', "Value of anything-but must be an array or single"),
    (CF, '{"detail": {"s": [{"anything-but": [1, "a"]}]}}', "mixed type is not supported"),
    (CF, '{"detail": {"s": [{"anything-but": []}]}}', "mixed type is not supported"),
    (CF, '{"detail": {"s": [{"anything-but": [null]}]}}', "start|null|boolean is not supported"),
    (CF, '{"detail": {"s": [{"anything-but": {"numeric": [">", 1]}}]}}', "Unsupported anything-but pattern: numeric"),
    (CF, '{"detail": {"s": [{"anything-but": {"prefix": ""}}]}}', "Null prefix/suffix not allowed"),
    (CF, '{"detail": {"s": [{"anything-but": {"prefix": 5}}]}}', "prefix/suffix match pattern must be a string"),
    (CF, '{"detail": {"s": [{"exists": "yes"}]}}', "exists match pattern must be either true or false"),
    (CF, '{"detail": {"ip": [{"cidr": "10.0.0.0/33"}]}}', "Nonsensical CIDR: 10.0.0.0/33"),
    (CF, '{"detail": {"ip": [{"cidr": "hello"}]}}', "Nonsensical CIDR: hello"),
    (CF, '{"detail": {"ip": [{"cidr": 10}]}}', "cidr match pattern must be a string"),
    (RULER, '{"$or": {"source": ["aws.ec2"]}}', "It must be an Array followed with $or"),
    (RULER, '{"$or": [{"source": ["aws.ec2"]}]}', "There must have at least 2 Objects in $or relationship"),
    (RULER, '{"$or": [{"source": ["aws.ec2"]}, "x"]}', "Only JSON object is allowed in array of $or relationship"),
    (RULER, '{"$or": [{"numeric": [">", 1]}, {"prefix": ["a"]}]}', "numeric is Ruler reserved fieldName"),
]
