"""`make demo`: synthesize the app and show what `cdk deploy` would create.

Until the local runtime lands, this is the main job: it proves the app synthesizes offline (no credentials, no
Docker) with cdk-nag passing, and prints the stacks, the bus, its rules, the schemas and the state tables.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from orchestrator.assembly import CloudAssembly, StackTemplate

DEFAULT_OUTDIR = Path("cdk.out")


def synthesize(stage: str, outdir: Path) -> CloudAssembly:
    """Builds and synthesizes the stage's app into `outdir` (cdk-nag runs; a finding stops here)."""
    from infra.app import build_app  # imported here: loading the CDK starts its Node runtime

    app, _ = build_app(stage, str(outdir))
    app.synth()
    return CloudAssembly(outdir)


def describe(stacks: Iterable[StackTemplate]) -> list[str]:
    """Human-readable lines: per stack, its resource counts and the parts that matter to a user."""
    lines: list[str] = []
    for stack in stacks:
        counts = Counter(r["Type"] for r in stack.template.get("Resources", {}).values())
        lines.append(f"\n{stack.name}  ({sum(counts.values())} resources)")
        lines += [f"    {n:>3}  {t}" for t, n in sorted(counts.items())]
        lines += _details(stack)
    return lines


def _details(stack: StackTemplate) -> list[str]:
    lines: list[str] = []
    for _, bus in stack.resources("AWS::Events::EventBus"):
        lines.append(f"  bus       {bus['Name']}")
    for _, archive in stack.resources("AWS::Events::Archive"):
        lines.append(f"  archive   retention {archive.get('RetentionDays', 'indefinite')} days")
    for logical_id, rule in stack.resources("AWS::Events::Rule"):
        targets = ", ".join(
            f"{t['Id']} (retries {t['RetryPolicy']['MaximumRetryAttempts']}, DLQ)" for t in rule.get("Targets", [])
        )
        lines.append(f"  rule      {logical_id}: {json.dumps(rule['EventPattern'])} -> {targets}")
    for _, schema in stack.resources("AWS::EventSchemas::Schema"):
        lines.append(f"  schema    {schema['SchemaName']} ({schema['Type']})")
    for logical_id, table in stack.resources("AWS::DynamoDB::Table"):
        keys = "/".join(k["AttributeName"] for k in table["KeySchema"])
        ttl = table.get("TimeToLiveSpecification", {}).get("AttributeName")
        lines.append(f"  table     {logical_id}: key {keys}" + (f", TTL {ttl}" if ttl else ""))
    for _, method in stack.resources("AWS::ApiGateway::Method"):
        lines.append(f"  api       {method['HttpMethod']} /events ({method['AuthorizationType']} authorization)")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--outdir", type=Path, default=DEFAULT_OUTDIR)
    args = parser.parse_args(argv)
    assembly = synthesize(args.stage, args.outdir)
    stacks = assembly.stacks()
    print(f"Stage {args.stage}: {len(stacks)} stacks synthesized into {args.outdir}/ (cdk-nag AwsSolutions: clean)")
    print("\n".join(describe(stacks)))
    print("\nDeploy with `make deploy STAGE=" + args.stage + "` (needs AWS credentials and `make bootstrap` once).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
