"""moto's Step Functions interpreter without moto's Batch and EC2 backends at import
(orchestrator/local/stepfunctions/without_batch.py): a local cloud's start loads neither, and a Batch call made
afterwards (as a state machine's Batch task makes) still gets moto's Batch, whose `JobStatus` is the interpreter's.

Each check runs in a fresh interpreter: the test process may have loaded moto's Batch for another test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def _run(code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, **_CREDENTIALS},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


def test_a_local_clouds_start_loads_neither_batch_nor_ec2(assembly_dir: Path) -> None:
    loaded = _run(
        "import sys\n"
        "from orchestrator.local.cloud import LocalCloud\n"
        "with LocalCloud.from_assembly(sys.argv[1]):\n"
        "    pass\n"
        "print(sorted(m for m in ('moto.batch', 'moto.ec2', 'moto.stepfunctions.parser.backend.execution')"
        " if m in sys.modules))",
        str(assembly_dir),
    )
    assert loaded == "['moto.stepfunctions.parser.backend.execution']"  # the interpreter is there, Batch is not


def test_a_batch_call_after_it_still_gets_motos_batch_with_the_interpreters_job_status() -> None:
    answer = _run(
        "import sys, boto3\n"
        "from moto import mock_aws\n"
        "from orchestrator.local.stepfunctions.without_batch import import_batch_utils_alone\n"
        "import_batch_utils_alone()\n"
        "from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (\n"
        "    state_task_service_batch as task)\n"
        "before = 'moto.batch' in sys.modules or 'moto.ec2' in sys.modules\n"
        "with mock_aws():\n"
        "    queues = boto3.client('batch', region_name='us-east-1').describe_job_queues()['jobQueues']\n"
        "from moto.batch.utils import JobStatus\n"
        "print(before, queues, task.JobStatus is JobStatus, 'moto.ec2' in sys.modules)"
    )
    # Not loaded by the interpreter; loaded, as usual, by the first Batch call; one JobStatus for both.
    assert answer == "False [] True True"
