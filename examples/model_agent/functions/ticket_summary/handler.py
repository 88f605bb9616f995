"""Lambda handler of the ticket-summary agent (functions/agents/kit.py). The reasoner is wired here, at the edge,
when the function first runs: `REASONER` (the stage's `agent_pipeline.reasoner`, agent.yaml `stage_settings`) names
it; `bedrock` is Bedrock Runtime with `BEDROCK_MODEL_ID`, any other name the project's reasoners (`offline`: the
deterministic rule reasoner, the default)."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from pydantic import BaseModel, Field

from functions.agents.kit import AgentTask, agent_handler
from functions.agents.reasoning import Reasoner, ReasonerSettings, reasoner_named
from functions.settings import load_settings
from functions.ticket_summary import bedrock
from functions.ticket_summary.logic import summarize


class BedrockSettings(BaseModel):
    bedrock_model_id: str = Field(default="anthropic.claude-3-haiku-20240307-v1:0", min_length=1)


@cache
def reasoner() -> Reasoner:
    name = load_settings(ReasonerSettings).reasoner
    if name == bedrock.NAME:
        return bedrock.BedrockReasoner(boto3.client("bedrock-runtime"), load_settings(BedrockSettings).bedrock_model_id)
    return reasoner_named(name)


def work(task: AgentTask) -> dict[str, Any]:
    return summarize(task, reasoner())


handler = agent_handler(work)
