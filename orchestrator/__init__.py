"""Operator tooling: the cloud assembly reader, the demo, and (to come) the local runtime and the `orch` CLI."""
