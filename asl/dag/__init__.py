"""Declarative DAG workflows: `state_machines/*.dag.yaml` specs (spec.py), their graph (graph.py) and the compiler
to JSONata ASL (compile.py, whose docstring explains how every task starts once all its dependencies are done; with
signals.py for the joins, saga.py for the compensations and states.py for the pieces they share)."""

from __future__ import annotations

from asl.dag.compile import BreakerCall, CompiledDag, compile_spec
from asl.dag.spec import DagSpec, DagSpecError, load, parse

__all__ = ["BreakerCall", "CompiledDag", "DagSpec", "DagSpecError", "compile_spec", "load", "parse"]
