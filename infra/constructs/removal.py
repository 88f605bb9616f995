"""What a stateful resource (table, queue, key, log group) becomes when its stack is deleted: the stage's
`destroy_on_removal` says, so that a production stage keeps its data and its unhandled messages."""

from __future__ import annotations

from aws_cdk import RemovalPolicy

from schemas.stages import StageConfig


def removal_policy(config: StageConfig) -> RemovalPolicy:
    """DESTROY where the stage is destroyed with its stacks (dev), else RETAIN."""
    return RemovalPolicy.DESTROY if config.destroy_on_removal else RemovalPolicy.RETAIN
