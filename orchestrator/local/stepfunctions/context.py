"""The context object (`$$` in JSONPath, `$states.context` in JSONata) as AWS fills it.

https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html:

- `Execution.StartTime` and `State.EnteredTime` are strings, "Format: ISO 8601", as AWS writes its timestamps
  (`2024-01-01T00:00:00.000Z`). moto 5.2.5 puts the execution's start date there as a datetime object
  (`execution_worker.py`, `_get_evaluation_environment`): a JSONPath state that reads it fails, and one whose output
  holds it fails DescribeExecution or leaves the execution RUNNING; JSONata reads it as `2024-01-01T00:00:00+00:00`.
  moto writes EnteredTime with `isoformat()` (`+00:00`, and microseconds when there are any).
- "Context object data for Map states": `Map.Item.Index`, `Map.Item.Value` and `Map.Item.Source`, where the item came
  from: `STATE_DATA` for the state's input, the S3 URI of what an ItemReader read (`s3://bucket/key`, or
  `s3://bucket` for a ListObjectsV2 listing). moto sets Index and Value only (`iteration_worker.py`,
  `distributed_item_processor_worker.py`).

The seams are declared in orchestrator/local/seams/services.py.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any, Final

from orchestrator.local.seams import SeamSet
from orchestrator.local.seams import services as declared

STATE_DATA: Final[str] = "STATE_DATA"  # Map.Item.Source of items from the state's input

# Set on the Map state's environment by the ItemReader's S3 call, read by the workers that environment starts.
_SOURCE_ATTRIBUTE: Final[str] = "local_item_source"


def iso_timestamp(moment: datetime.datetime | str) -> str:
    """A moment as AWS writes timestamps in the context object: UTC, milliseconds, `Z` (an ISO string is read first;
    a naive moment is taken as UTC)."""
    if isinstance(moment, str):
        moment = datetime.datetime.fromisoformat(moment)
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def item_source(map_env: Any, *, from_reader: bool) -> str:
    """`$$.Map.Item.Source` of the items a Map state evaluated in `map_env` iterates over (`from_reader`: they are
    what its ItemReader read)."""
    return str(getattr(map_env, _SOURCE_ATTRIBUTE, STATE_DATA)) if from_reader else STATE_DATA


def bind_context(seam_set: SeamSet) -> None:
    """Binds the context object fixes into `seam_set`."""

    def starting_at_an_iso_time(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def get_evaluation_environment(worker: Any) -> Any:
            env = original(worker)
            execution = env.states.context_object.context_object_data["Execution"]
            execution["StartTime"] = iso_timestamp(execution["StartTime"])
            return env

        return get_evaluation_environment

    def entered_at_an_iso_time(original: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
        def eval_state_input(state: Any, env: Any) -> None:
            entered = env.states.context_object.context_object_data["State"]
            entered["EnteredTime"] = iso_timestamp(entered["EnteredTime"])
            original(state, env)

        return eval_state_input

    def telling_the_source(original: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
        def eval_input(worker: Any, env_frame: Any) -> None:
            # Only a distributed worker has an ItemReader: the source its Map state's environment holds is that
            # reader's, set as it read (a Map state without one iterates over its input, whatever that env holds).
            from_reader = getattr(worker, "_item_reader", None) is not None
            item = env_frame.states.context_object.context_object_data["Map"]["Item"]
            item["Source"] = item_source(worker._env, from_reader=from_reader)
            original(worker, env_frame)

        return eval_input

    def remembering_the_source(uri: Callable[[dict[str, Any]], str]) -> Callable[[Callable[..., None]], Any]:
        def wrapping(original: Callable[..., None]) -> Callable[..., None]:
            def handle(env: Any, resource_runtime_part: Any, state_credentials: Any) -> None:
                setattr(env, _SOURCE_ATTRIBUTE, uri(env.stack[-1]))  # the call's parameters, which it pops
                original(env, resource_runtime_part, state_credentials)

            return handle

        return wrapping

    seam_set.wrap(declared.CONTEXT_START_TIME, starting_at_an_iso_time)
    seam_set.wrap(declared.CONTEXT_ENTERED_TIME, entered_at_an_iso_time)
    for seam in declared.MAP_ITEM_SOURCE:
        seam_set.wrap(seam, telling_the_source)
    seam_set.wrap(
        declared.ITEM_READER_OBJECT_SOURCE,
        remembering_the_source(lambda parameters: f"s3://{parameters['Bucket']}/{parameters['Key']}"),
    )
    seam_set.wrap(
        declared.ITEM_READER_LISTING_SOURCE, remembering_the_source(lambda parameters: f"s3://{parameters['Bucket']}")
    )
