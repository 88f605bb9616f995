"""Deterministic replay (`orch replay-test`): a recorded business process re-run on the local runtime against the
current definitions and handlers, with every divergence reported state by state (recording.py: what a recording
holds and how two are compared; runner.py: the re-run)."""
