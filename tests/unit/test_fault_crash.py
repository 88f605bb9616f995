"""`crash_handler` (orchestrator/local/faults.py) strikes the handler a thread runs, the outer one again once a
handler it invoked in the same thread returns, and never an item call inside a transaction (DynamoDB applies one
whole or not at all, and moto rolls back only on an Exception)."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator.local.faults import Faults, HandlerCrashed, crash_handler


class _Table:
    hash_key_attr, range_key_attr = "pk", None


class _Backend:
    tables = {"PaymentsTable": _Table()}


def _put(faults: Faults) -> Any:
    def put_item(backend: Any, table_name: str, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> str:
        return "written"

    return faults._dynamodb_call("put_item", put_item, _Backend(), "PaymentsTable", {"pk": {"S": "k"}})


def test_the_outer_handler_is_struck_again_once_the_inner_one_returned() -> None:
    faults = Faults(rules=[crash_handler("Outer", at="put_item PaymentsTable", calls=[1])])

    with faults.running("Outer"):
        with faults.running("Inner"):
            assert _put(faults) == "written", "the inner handler is not the target"
        with pytest.raises(HandlerCrashed):
            _put(faults)


def test_no_crash_inside_a_transaction() -> None:
    faults = Faults(rules=[crash_handler("Outer", at="put_item PaymentsTable")])

    def transact_write_items(backend: Any, transact_items: list[dict[str, Any]]) -> str:
        return str(_put(faults))

    with faults.running("Outer"):
        assert faults._transaction(transact_write_items, _Backend(), [{"Put": {"TableName": "PaymentsTable"}}]) == (
            "written"
        )
        with pytest.raises(HandlerCrashed):
            _put(faults)  # outside the transaction, the same call is struck
