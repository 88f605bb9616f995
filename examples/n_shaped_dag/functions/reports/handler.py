"""Lambda handler of the report agents: built as every declared agent's (functions/agents/kit.py)."""

from __future__ import annotations

from functions.agents.kit import agent_handler
from functions.reports.logic import work

handler = agent_handler(work)
