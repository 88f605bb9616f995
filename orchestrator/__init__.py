"""Operator tooling, on top of the app: the control-plane library (`control`, which the control API's Lambda runs
too), the `orch` CLI (`cli`), the local runtime (`local`), deterministic replay (`replay`), the demo (`demo`) and
the cloud assembly reader (`assembly`). docs/architecture.md draws the layers; tests/architecture enforces them."""
