"""DescribeExecution answers an execution's output as JSON text, as the API documents ("output: the JSON output data
of the execution"): moto's interpreter keeps the output as a Python value and moto's response passes a string value
through as it is, so an execution whose output is the string "yes" answered `yes` instead of `"yes"` (a client's
`json.loads` of it failed). Found by `orch local conformance` (the Choice cases)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from orchestrator.local.seams import SeamSet
from orchestrator.local.seams import stepfunctions as declared


def bind_json_outputs(seam_set: SeamSet) -> None:
    def answering_json(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def describe_execution(response: Any) -> Any:
            answer = original(response)
            result = answer.result
            if result.get("status") == "SUCCEEDED":  # a null output too: AWS answers "null", moto left it out
                execution = response.stepfunction_backend.describe_execution(result["executionArn"])
                result["output"] = json.dumps(execution.output, separators=(",", ":"))
            return answer

        return describe_execution

    seam_set.wrap(declared.DESCRIBE_EXECUTION_OUTPUT_AS_JSON, answering_json)
