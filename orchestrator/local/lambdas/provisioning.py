"""`AWS::Lambda::Function` from the template: created in moto (so the Lambda API answers for it) and, when its code
is Python, registered with the local Lambda runtime, which runs it from its asset folder in the cloud assembly."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

from orchestrator.local.lambdas.model import DEFAULT_MEMORY, DEFAULT_TIMEOUT, LocalFunction
from orchestrator.local.provision import Provisioned, Provisioner

EXECUTION_ROLE: Final = "local-lambda-execution"  # moto requires an existing role; the template's roles are skipped


def create_function(
    p: Provisioner, logical_id: str, props: dict[str, Any], register: Callable[[LocalFunction], None]
) -> Provisioned:
    """Creator of `AWS::Lambda::Function`: the function in moto, and (Python code) registered to run in-process."""
    name = str(props.get("FunctionName") or p.physical_name(logical_id, 64))
    runtime_name = str(props.get("Runtime", ""))
    environment = {k: str(v) for k, v in props.get("Environment", {}).get("Variables", {}).items()}
    timeout, memory = int(props.get("Timeout", DEFAULT_TIMEOUT)), int(props.get("MemorySize", DEFAULT_MEMORY))
    spec: dict[str, Any] = {
        "FunctionName": name,
        "Role": _execution_role(p),
        # moto keeps the bytes only to answer GetFunction; the code that runs is read from the asset folder.
        "Code": {"ZipFile": _placeholder_zip(name)},
        "Timeout": timeout,
        "MemorySize": memory,
        "Environment": {"Variables": environment},
        "Tags": {tag["Key"]: str(tag["Value"]) for tag in props.get("Tags", [])},
    }
    spec |= {k: props[k] for k in ("Runtime", "Handler", "Description", "TracingConfig", "Architectures") if k in props}
    arn = str(p.client("lambda").create_function(**spec)["FunctionArn"])
    if not runtime_name.startswith("python") or "Handler" not in props:
        # Node or container code cannot run in this process: it exists in moto, invoking it falls through.
        p.notice.not_run[f"AWS::Lambda::Function ({runtime_name or 'image'})"] += 1
        return Provisioned(name, {"Arn": arn})
    register(
        LocalFunction(
            name=name,
            arn=arn,
            handler=str(props["Handler"]),
            code_dir=_code_dir(p, props),
            environment=environment,
            timeout=timeout,
            memory=memory,
            runtime=runtime_name,
            dead_letter_arn=props.get("DeadLetterConfig", {}).get("TargetArn"),
            log_group=str(props.get("LoggingConfig", {}).get("LogGroup", "")),
            role=str(props.get("Role", "")),
        )
    )
    return Provisioned(name, {"Arn": arn})


def _code_dir(p: Provisioner, props: Mapping[str, Any]) -> Path:
    """The function's asset folder: the CDK's `aws:asset:path` metadata when the CLI wrote it, else the folder the
    asset manifests give for `Code.S3Key`."""
    if p.assembly is None:
        raise RuntimeError("a Lambda function's code folder is looked up in the assembly being provisioned")
    directory = Path(p.assembly.directory)
    asset_path = p.current.get("Metadata", {}).get("aws:asset:path")
    if asset_path:
        return (directory / str(asset_path)).resolve()
    key = props.get("Code", {}).get("S3Key")
    for manifest in sorted(directory.glob("*.assets.json")):
        for asset in json.loads(manifest.read_text(encoding="utf-8")).get("files", {}).values():
            if any(d.get("objectKey") == key for d in asset.get("destinations", {}).values()):
                return (directory / str(asset["source"]["path"])).resolve()
    raise FileNotFoundError(f"no asset folder for code {props.get('Code')} in {directory}")


def _execution_role(p: Provisioner) -> str:
    """The role moto is told each function has (moto checks it exists in its IAM). Not what a handler acts as: the
    local runtime evaluates the function's own role from the template (orchestrator/local/iam)."""
    iam = p.client("iam")
    try:
        return str(iam.get_role(RoleName=EXECUTION_ROLE)["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        trust = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        policy = json.dumps({"Version": "2012-10-17", "Statement": [trust]})
        return str(iam.create_role(RoleName=EXECUTION_ROLE, AssumeRolePolicyDocument=policy)["Role"]["Arn"])


def _placeholder_zip(name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("LOCAL.txt", f"{name} runs in-process from its asset folder in the cloud assembly.\n")
    return buffer.getvalue()
