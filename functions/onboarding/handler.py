"""Lambda handler of the onboarding agents: the consumer of their queue (rule on AgentTaskRequested for
`onboarding-*` agents, functions/onboarding/agent.yaml), built as every declared agent's (functions/agents/kit.py)."""

from __future__ import annotations

from functions.agents.kit import agent_handler
from functions.onboarding.logic import work

handler = agent_handler(work)
