"""The event catalog finds event modules and their detail-types by reading them, and imports only the module that
declares the type it is asked for: a consumer's cold start builds only the models it uses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from schemas import catalog

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_the_text_index_lists_each_event_modules_detail_types_as_its_events_declare_them() -> None:
    by_module: dict[str, list[str]] = {}
    for event_type in catalog.event_types():
        by_module.setdefault(event_type.__module__.rsplit(".", 1)[1], []).append(event_type.DETAIL_TYPE)
    assert catalog.event_modules() == by_module


def test_a_lookup_imports_the_one_module_that_declares_the_type() -> None:
    code = (
        "import sys\n"
        "from schemas.catalog import event_type_for\n"
        "before = {m for m in sys.modules if m.startswith('schemas.')}\n"
        "event_type_for('OrderPlaced', 'shop.orders')\n"
        "print(sorted({m for m in sys.modules if m.startswith('schemas.')} - before))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "['schemas.orders']"


def test_the_index_reads_literal_detail_types_of_modules_that_declare_events(tmp_path: Path) -> None:
    (tmp_path / "shipments.py").write_text(
        'class ShipmentBooked(EventData):\n    DETAIL_TYPE: ClassVar[str] = "ShipmentBooked"\n\n'
        "class ShipmentLost(EventData):\n    DETAIL_TYPE: ClassVar[str] = PREFIX + 'Lost'\n\n"
        "EVENTS = (ShipmentBooked, ShipmentLost)\n",
        encoding="utf-8",
    )
    (tmp_path / "helpers.py").write_text("X = 1\n", encoding="utf-8")
    assert catalog.event_modules(tmp_path) == {"shipments": ["ShipmentBooked"]}


def test_a_module_whose_events_differ_from_its_text_fails_on_import_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(catalog._MODULES, "orders", ["OrderPlaced"])
    catalog._declared.cache_clear()
    try:
        with pytest.raises(RuntimeError, match=r"schemas/orders.py: EVENTS declares OrderPlaced, InventoryReserved"):
            catalog.event_type_for("OrderPlaced")
    finally:
        catalog._declared.cache_clear()
