"""Powertools idempotency as every handler with a side effect uses it: on the State stack's Idempotency table, keyed
on an idempotency key the caller sends, with the payload under that key checked, and in-progress records that
expire with the Lambda invocation that wrote them.

Two callers, one wiring: the agents and the callback do each EventBridge event once per envelope
`metadata.idempotency_key` (`once_per_event`); the order saga's services do each request of the saga once per its
`idempotency_key` (`once_per_request`), which the saga derives from the OrderPlaced envelope's key and the step.

A completed record lives `IDEMPOTENCY_EXPIRY_SECONDS` (the stage's `idempotency_expiry_seconds`, set by the app on
every function that keeps records): at least the longest window in which its caller may retry or redeliver the same
call, so that no retry outlives the record and does the work again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import boto3
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.serialization.base import BaseIdempotencySerializer
from aws_lambda_powertools.utilities.idempotency.serialization.dataclass import DataclassSerializer
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from functions.settings import load_settings

ResultT = TypeVar("ResultT")


class IdempotencySettings(BaseModel):
    idempotency_expiry_seconds: int = Field(ge=1, default=3600)  # Powertools' default, where the app sets none


@dataclass(frozen=True)
class OncePerEvent(Generic[ResultT]):
    """`call(<data keyword>=...)` runs the wrapped function once per idempotency key; a repeat gets the stored result.
    The same key with another payload raises IdempotencyValidationError. Each invocation hands its Lambda context to
    `config` (`register_lambda_context`), so that an in-progress record expires with the invocation."""

    config: IdempotencyConfig
    call: Callable[..., ResultT]

    def call_within(self, context: LambdaContext, **kwargs: Any) -> ResultT:
        """`call(**kwargs)` in the invocation of `context`: for a handler that makes one call per invocation."""
        # An in-progress record of this invocation expires with it, so a timed-out attempt does not block the retry.
        self.config.register_lambda_context(context)
        return self.call(**kwargs)


def once_per_event(
    function: Callable[..., ResultT], result_type: type[ResultT], table_name: str
) -> OncePerEvent[ResultT]:
    """Wraps `function` (taking the validated EventBridge detail as the keyword `event`) to run once per envelope
    `metadata.idempotency_key`, with the envelope's `data` as the payload checked; `result_type` is a dataclass."""
    # The key and the payload checked under it are the envelope's: the producer says which deliveries are one event.
    return _once(
        function,
        table_name,
        data_keyword="event",
        key_jmespath="metadata.idempotency_key",
        payload_jmespath="data",
        serializer=DataclassSerializer(result_type),
    )


def once_per_request(function: Callable[..., dict[str, Any]], table_name: str) -> OncePerEvent[dict[str, Any]]:
    """Wraps `function` (taking a validated request model as the keyword `request` and answering a JSON object) to
    run once per the request's `idempotency_key`, with the whole request as the payload checked."""
    # The whole request is the payload: under one key, another action or another order is a caller's bug.
    return _once(function, table_name, data_keyword="request", key_jmespath="idempotency_key", payload_jmespath="@")


def _once(
    function: Callable[..., ResultT],
    table_name: str,
    *,
    data_keyword: str,
    key_jmespath: str,
    payload_jmespath: str,
    serializer: BaseIdempotencySerializer | None = None,
) -> OncePerEvent[ResultT]:
    # Powertools' default table layout (key `id`, TTL `expiration`), as the State stack declares the table.
    config = IdempotencyConfig(
        event_key_jmespath=key_jmespath,
        payload_validation_jmespath=payload_jmespath,
        raise_on_no_idempotency_key=True,
        expires_after_seconds=load_settings(IdempotencySettings).idempotency_expiry_seconds,
    )
    store = DynamoDBPersistenceLayer(table_name=table_name, boto3_client=boto3.client("dynamodb"))
    call = idempotent_function(
        function,
        data_keyword_argument=data_keyword,
        persistence_store=store,
        config=config,
        output_serializer=serializer,
    )
    return OncePerEvent(config, call)
