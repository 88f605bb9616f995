#!/usr/bin/env python3
"""CDK entry point: `cdk synth|deploy -c stage=dev|prod`, or `[STAGE=prod] python app.py` (what `make synth` runs) to
write `cdk.out` directly."""

from __future__ import annotations

import os
import sys

from infra.app import build_app, synthesis_errors

# Run by the CDK CLI, CDK_OUTDIR says where to write; run directly, write cdk.out in the working folder. The stage:
# STAGE when set, else the `stage` context, else dev.
app, _ = build_app(stage=os.environ.get("STAGE") or None, outdir=None if "CDK_OUTDIR" in os.environ else "cdk.out")
assembly = app.synth()
if "CDK_OUTDIR" not in os.environ:
    # The CDK CLI reports these itself, and stops; run directly, say so: `cdk deploy` of this stage would refuse.
    for error in synthesis_errors(assembly):
        print(f"error (cdk synth and cdk deploy refuse this stage): {error}", file=sys.stderr)
