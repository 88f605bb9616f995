"""Every change the local runtime makes to moto, declared as a `Seam` and applied through a `SeamSet`.

The declarations (`DECLARED`) are data: target, kind, why, the moto behaviour fixed, the expected signature. The
adapters bind them to their code and apply them as a set, checked first against `SUPPORTED_MOTO_VERSION` and each
target's presence and signature; `orch local seams` lists them (`seam_table`).
"""

from __future__ import annotations

from typing import Any, Final

from orchestrator.local.seams import services, stepfunctions
from orchestrator.local.seams._mechanism import (
    SUPPORTED_MOTO_VERSION,
    MotoSeamError,
    Seam,
    SeamAdapter,
    SeamSet,
    applied_seams,
    check,
    check_moto_version,
    read,
    resolve,
)

DECLARED: Final[tuple[Seam, ...]] = (*stepfunctions.SEAMS, *services.SEAMS)


def seam_table() -> list[dict[str, Any]]:
    """One row per declared seam: target, kind, adapter, why, fixes, signature."""
    return [
        {
            "target": seam.path,
            "kind": seam.kind,
            "adapter": seam.adapter,
            "why": seam.why,
            "fixes": seam.fixes,
            "signature": list(seam.signature) if seam.signature is not None else None,
        }
        for seam in DECLARED
    ]


def seam_lines() -> list[str]:
    """`seam_table()` as aligned text lines: kind, target, why (the moto behaviour fixed after a dash)."""
    rows = seam_table()
    kind_width = max(len(row["kind"]) for row in rows)
    target_width = max(len(row["target"]) for row in rows)
    return [
        f"{row['kind']:<{kind_width}}  {row['target']:<{target_width}}  {row['why']} (moto: {row['fixes']})"
        for row in rows
    ]


__all__ = [
    "DECLARED",
    "SUPPORTED_MOTO_VERSION",
    "MotoSeamError",
    "Seam",
    "SeamAdapter",
    "SeamSet",
    "applied_seams",
    "check",
    "check_moto_version",
    "read",
    "resolve",
    "seam_lines",
    "seam_table",
]
