"""The seam mechanism (orchestrator/local/seams): every change of the local runtime to moto is declared, checked
against the pinned moto, applied and undone as one set, and listed by `orch local seams`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws
from moto.awslambda.models import LambdaBackend
from moto.events.models import Rule

from orchestrator.cli import main
from orchestrator.local import jsonata_engine
from orchestrator.local.cloud import LocalCloud
from orchestrator.local.computed_once import ComputedOnce
from orchestrator.local.delivery import Delivery, RulePatterns
from orchestrator.local.dynamodb import AtomicWrites
from orchestrator.local.faults import Faults, throttle_dynamodb, throttle_put_events
from orchestrator.local.lambdas import LambdaRuntime
from orchestrator.local.pollers import Pollers
from orchestrator.local.runtime import MOTO_CONFIG, Runtime
from orchestrator.local.seams import DECLARED, MotoSeamError, Seam, SeamSet, applied_seams, check, resolve
from orchestrator.local.stepfunctions import StepFunctionsAdapter
from tests.conftest import WHOLE_APP

ABSENT = object()


def current(seam: Seam) -> Any:
    """What the seam's target holds now (ABSENT when it holds nothing)."""
    owner = resolve(seam.target)
    if seam.kind == "remove":
        return owner.get(seam.attribute, ABSENT)
    return vars(owner).get(seam.attribute, ABSENT)


@pytest.mark.parametrize("seam", DECLARED, ids=lambda seam: f"{seam.kind}:{seam.path}")
def test_each_declared_seams_target_exists_with_its_expected_signature(seam: Seam) -> None:
    value = check(seam)  # raises MotoSeamError when the target moved or its parameters changed

    if seam.kind == "add":
        assert current(seam) is ABSENT, "an added attribute must not exist in moto"
    elif seam.kind in {"wrap"} or seam.signature is not None:
        function = getattr(value, "__func__", value)
        assert callable(function), f"{seam.path} is wrapped or has a signature, so it must be callable"
        assert seam.signature is not None, f"{seam.path} is callable: its expected signature is declared"


def test_every_declared_seam_has_a_why_and_a_fix_and_a_unique_binding() -> None:
    assert all(seam.why and seam.fixes and seam.adapter for seam in DECLARED)
    keys = [(seam.path, seam.adapter, seam.why) for seam in DECLARED]
    assert len(keys) == len(set(keys))


def test_a_seam_whose_target_is_missing_fails_with_one_line_naming_it_and_changes_nothing() -> None:
    real = next(seam for seam in DECLARED if seam.path == "moto.events.models.Rule.send_to_targets")
    missing = Seam("moto.events.models.Rule", "no_such_method", "wrap", "a test", "nothing", ("self",), "tests")
    original = Rule.send_to_targets
    seam_set = SeamSet("test")
    seam_set.wrap(real, lambda moto_send: moto_send)
    seam_set.wrap(missing, lambda moto_send: moto_send)

    with pytest.raises(MotoSeamError) as raised:
        seam_set.apply()

    message = str(raised.value)
    assert "\n" not in message
    assert message == ("a moto seam this adapter patches is missing: Rule.no_such_method, in moto.events.models.Rule")
    assert Rule.send_to_targets is original, "checked before anything is changed"
    assert not seam_set.applied and all(name != "test" for name, _ in applied_seams())


def test_a_changed_signature_is_refused_naming_the_target_and_both_signatures() -> None:
    changed = Seam("moto.events.models.Rule", "send_to_targets", "wrap", "a test", "nothing", ("self", "x"), "tests")

    with pytest.raises(MotoSeamError, match=r"^moto\.events\.models\.Rule\.send_to_targets takes \('self', "):
        check(changed)


@WHOLE_APP
def test_start_up_fails_with_one_line_naming_a_missing_target_and_restores_moto(
    assembly_dir: Path, aws_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    original_invoke = vars(LambdaBackend)["invoke"]
    cloud = LocalCloud.from_assembly(assembly_dir)
    with monkeypatch.context() as moved:
        moved.delattr(Rule, "send_to_targets")  # as if moto had renamed it

        with pytest.raises(MotoSeamError) as raised:
            cloud.start()

    assert str(raised.value).splitlines() == [
        "a moto seam this adapter patches is missing: Rule.send_to_targets, in moto.events.models.Rule"
    ]
    assert applied_seams() == [], "the adapters installed before the failing one were undone"
    assert vars(LambdaBackend)["invoke"] is original_invoke


def _bound(seam: Seam, seam_set: SeamSet) -> None:
    """Binds a stand-in of the seam's kind: enough to see that it was applied and then undone."""
    if seam.kind == "wrap":
        seam_set.wrap(seam, lambda original: lambda *args, **kwargs: original(*args, **kwargs))
    elif seam.kind == "replace":
        seam_set.replace(seam, object())
    elif seam.kind == "add":
        seam_set.add(seam, object())
    else:
        seam_set.remove(seam)


def test_applying_then_undoing_the_whole_set_restores_every_original() -> None:
    originals = {seam.path: current(seam) for seam in DECLARED}
    seam_set = SeamSet("every declared seam")
    for seam in DECLARED:
        _bound(seam, seam_set)

    seam_set.apply()
    try:
        changed = {seam.path for seam in DECLARED if current(seam) is not originals[seam.path]}
        assert changed == set(originals), "every target was changed"
        assert {seam.path for _, seam in applied_seams()} == set(originals)
    finally:
        seam_set.undo()

    restored = {seam.path for seam in DECLARED if current(seam) is originals[seam.path]}
    assert restored == set(originals), "each target holds its original object again (ABSENT for the added ones)"
    assert applied_seams() == []


@pytest.fixture
def every_adapter_installed(aws_credentials: None) -> Iterator[None]:
    with mock_aws(config=MOTO_CONFIG):
        runtime = Runtime()
        lambdas = LambdaRuntime(runtime)
        faults = Faults(rules=[throttle_put_events(), throttle_dynamodb()])  # the kinds that apply seams
        adapters: list[Any] = [
            ComputedOnce(),
            AtomicWrites(),
            lambdas,
            Delivery(runtime, lambdas),
            RulePatterns(),
            Pollers(runtime, lambdas),
            StepFunctionsAdapter(runtime),
            faults,
        ]
        jsonata_engine.install()
        try:
            for adapter in adapters:
                adapter.install()
            yield
        finally:
            for adapter in reversed(adapters):
                adapter.uninstall()
            jsonata_engine.uninstall()


def test_the_runtimes_adapters_apply_exactly_the_declared_seams(every_adapter_installed: None) -> None:
    applied = [(seam.path, seam.adapter, seam.why) for _, seam in applied_seams()]

    assert sorted(applied) == sorted((seam.path, seam.adapter, seam.why) for seam in DECLARED)


def test_orch_local_seams_prints_one_line_per_seam(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["local", "seams"]) == 0
    lines = capsys.readouterr().out.splitlines()

    assert len(lines) == len(DECLARED)
    for line, seam in zip(lines, DECLARED, strict=True):
        assert line.split()[:2] == [seam.kind, seam.path]
        assert seam.why in line and seam.fixes in line


def test_orch_local_seams_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["local", "seams", "--output", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)

    assert [row["target"] for row in rows] == [seam.path for seam in DECLARED]
    assert {row["kind"] for row in rows} == {"wrap", "replace", "add", "remove"}


@WHOLE_APP
def test_orch_local_up_says_a_missing_target_in_one_line(
    assembly_dir: Path, aws_credentials: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with monkeypatch.context() as moved:
        moved.delattr(Rule, "send_to_targets")
        code = main(["local", "up", "--assembly", str(assembly_dir), "--port", "0"])

    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert err == [
        "orch: a moto seam this adapter patches is missing: Rule.send_to_targets, in moto.events.models.Rule; "
        "install the pinned moto (make install)"
    ]
    assert applied_seams() == []
