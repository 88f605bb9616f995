#!/usr/bin/env python3
"""CDK entry point: `cdk synth|deploy -c stage=dev|prod`, or `python app.py` to write `cdk.out` directly."""

from __future__ import annotations

import os

from infra.app import build_app

# Run by the CDK CLI, CDK_OUTDIR says where to write; run directly, write cdk.out beside this file.
app, _ = build_app(outdir=None if "CDK_OUTDIR" in os.environ else "cdk.out")
app.synth()
