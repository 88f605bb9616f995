"""Step Functions on the local runtime: state machines from the template, moto's interpreter on the runtime's clock,
and execution status-change events on the default bus, as AWS sends them.

moto 5.2.5 runs executions with the interpreter it ported from LocalStack (`moto.stepfunctions.parser`) when
`mock_aws(config=MOTO_CONFIG)`. This package adds, through the seams declared in orchestrator/local/seams (checked
against that moto version when `StepFunctionsAdapter.install()` applies them):

- `definitions`: `AWS::StepFunctions::StateMachine`, `StateMachineVersion` and `StateMachineAlias` from the template
  (`creators()`);
- `qualified`: StartExecution through a version's or an alias's ARN (an alias's versions drawn by weight), the
  execution's version and alias in the API's answers;
- `timing`: every wait real time bounds, and every timestamp, on `runtime.clock`;
- `tasks`: fixes of moto's task tokens, heartbeats and stops, each as small as the defect;
- `parsing`: each definition parsed once, its program shared by the executions, the parser safe on several threads;
- `clients`: one boto3 client per service for every task that calls it;
- `outputs`: DescribeExecution's output as JSON text, a string too;
- ASL as AWS runs it, where moto reads it otherwise (each module cites the AWS page): `intrinsic_strings` (escapes in
  intrinsic string literals, `States.Format`), `intrinsic_math` (`States.MathRandom`'s end exclusive), `json_paths`
  (a definite JSONPath gives one value), `choice` (`StringMatches`, `States.NoChoiceMatched`), `branch_errors`
  (a branch's or iteration's `States.*` error), `context` (context-object timestamps, `Map.Item.Source`),
  `grammar_gaps` and `map_items` (`ItemBatcher` and `CSVDelimiter`, which moto's grammar lacks), `variables` (a
  JSONata `Output` reads the variables from before its state's `Assign`), `number_fields` (JSONata timeouts and
  waits checked), `lambda_result` (a `lambda:invoke` result's SDK metadata), `terminal_errors` (States.ALL does not
  catch States.DataLimitExceeded);
- `status`: "Step Functions Execution Status Change" events on the default bus;
- `adapter`: the execution lifecycle (install, uninstall, redrive) and `history_path` (over `visits_from_history`,
  asl/history.py), which gives each state visit its own events by following their `previousEventId` chains.
"""

from __future__ import annotations

from orchestrator.local.stepfunctions.adapter import (
    STOP_TIMEOUT_SECONDS,
    StepFunctionsAdapter,
    StepFunctionsStoppedError,
)
from orchestrator.local.stepfunctions.definitions import (
    ALIAS_TYPE,
    IGNORED_PROPERTIES,
    STATE_MACHINE_TYPE,
    VERSION_TYPE,
    apply_substitutions,
    create_state_machine,
    state_machine_definition,
)
from orchestrator.local.stepfunctions.qualified import AliasRouter
from orchestrator.local.stepfunctions.status import (
    STATUS_CHANGE_DETAIL_TYPE,
    STATUS_CHANGE_SOURCE,
    status_change_detail,
)

__all__ = [
    "ALIAS_TYPE",
    "IGNORED_PROPERTIES",
    "STATE_MACHINE_TYPE",
    "STATUS_CHANGE_DETAIL_TYPE",
    "STATUS_CHANGE_SOURCE",
    "STOP_TIMEOUT_SECONDS",
    "VERSION_TYPE",
    "AliasRouter",
    "StepFunctionsAdapter",
    "StepFunctionsStoppedError",
    "apply_substitutions",
    "create_state_machine",
    "state_machine_definition",
    "status_change_detail",
]
