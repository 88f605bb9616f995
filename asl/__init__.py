"""Pure ASL tooling: the DAG compiler, synth-time rewrites of definitions (pause points, breaker steps), reading an
execution's history, and drawing a definition. Above the contracts (`schemas`), below `infra/`, `functions/` and
the control plane; it imports neither the CDK nor boto3, so the CDK app, the control-plane Lambda and the local
tooling share it."""
