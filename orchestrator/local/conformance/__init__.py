"""Conformance of the local runtime with AWS: documented cases (each citing the AWS page it comes from) for event
patterns (pattern_vectors.py) and the Amazon States Language (asl_cases.py), and the runner that counts how many the
local runtime gets right per category (runner.py; `orch local conformance`, docs/local-runtime.md)."""
