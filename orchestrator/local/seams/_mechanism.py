"""The one way the local runtime changes moto: declared seams, checked together, applied and undone as a set.

Shaped after LocalStack's `localstack/utils/patch.py` (`Patch`, `Patches`, `Patch.applied_patches`), with the guards
this project keeps: moto must be the version every seam was read against, and each target must be there, with the
parameters the seam was written for, before anything is changed.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal

import moto

logger = logging.getLogger(__name__)

SUPPORTED_MOTO_VERSION: Final[str] = "5.2.5"

# wrap: the target replaced by a function of the original; replace: the target replaced outright; add: an attribute
# moto lacks; remove: an entry taken out of a dict of moto's (`attribute` is then the key).
Kind = Literal["wrap", "replace", "add", "remove"]


class MotoSeamError(RuntimeError):
    """moto is not the version the seams were checked against, or a seam's target has moved or changed shape."""


@dataclass(frozen=True)
class Seam:
    """One change of the local runtime to moto: where, how, why, and which moto behaviour it fixes."""

    target: str  # dotted path of the object changed: a module, a class, or (kind remove) a dict
    attribute: str  # the attribute of `target` (kind remove: the dict's key)
    kind: Kind
    why: str  # one line: what the local runtime needs from it
    fixes: str  # one line: the moto 5.2.5 behaviour it changes
    signature: tuple[str, ...] | None = None  # the target's parameter names where it is callable
    adapter: str = ""  # the module of orchestrator.local that applies it
    needs: tuple[str, ...] = ()  # attributes of the target the seam's code reads (checked present, not changed)

    @property
    def path(self) -> str:
        """The target as one name: `module.Class.attribute`, or `module.DICT['key']`."""
        return f"{self.target}[{self.attribute!r}]" if self.kind == "remove" else f"{self.target}.{self.attribute}"


_ABSENT: Final = object()


def resolve(dotted: str) -> Any:
    """The object a dotted path names: the longest importable module prefix, then attributes."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for name in parts[split:]:
            found = getattr(found, name)
        return found
    raise ImportError(f"no module in {dotted}")


def check_moto_version(owner: str) -> None:
    """Raises MotoSeamError unless moto is the version every seam was read against."""
    if moto.__version__ != SUPPORTED_MOTO_VERSION:
        raise MotoSeamError(
            f"{owner} was checked against moto {SUPPORTED_MOTO_VERSION}, found {moto.__version__}: re-read its seams "
            "(`orch local seams` lists them), then update them"
        )


def check(seam: Seam) -> Any:
    """The target's current value (`_ABSENT` for kind add), or MotoSeamError in one line naming the target."""
    missing = f"a moto seam this adapter patches is missing: {_short(seam)}, in {seam.target}"
    try:
        owner = resolve(seam.target)
    except (ImportError, AttributeError):
        raise MotoSeamError(missing) from None
    if seam.kind == "remove":
        if not isinstance(owner, dict) or seam.attribute not in owner:
            raise MotoSeamError(missing)
        return owner[seam.attribute]
    for name in seam.needs:
        if name not in getattr(owner, "__annotations__", {}) and not hasattr(owner, name):
            raise MotoSeamError(f"{seam.target} no longer has `{name}`, which the seam on {seam.path} reads")
    if seam.kind == "add":
        if seam.attribute in vars(owner):
            raise MotoSeamError(f"moto now has {seam.path}: check it before adding ours")
        return _ABSENT
    if seam.attribute not in vars(owner):
        raise MotoSeamError(missing)
    value = vars(owner)[seam.attribute]
    if seam.signature is not None:
        function = getattr(value, "__func__", value)  # a staticmethod or classmethod's function
        found = tuple(inspect.signature(function).parameters) if callable(function) else None
        if found != seam.signature:
            raise MotoSeamError(f"{seam.path} takes {found}, the seam was written for {seam.signature}")
    return value


def _short(seam: Seam) -> str:
    return f"{seam.target.rsplit('.', 1)[-1]}.{seam.attribute}"


@dataclass
class _Binding:
    seam: Seam
    make: Callable[[Any], Any]  # the original -> what replaces it (kind remove: unused)
    owner: Any = None
    original: Any = _ABSENT
    applied: bool = False


_registry_lock = threading.Lock()
_applied: list[SeamSet] = []  # every set applied now, in the order applied


class SeamSet:
    """The seams one adapter applies, bound to their code: checked together, applied together, undone in reverse."""

    def __init__(self, name: str, *, exclusive: bool = False) -> None:
        self.name = name
        self.exclusive = exclusive  # only one set of this name applied at a time
        self._bindings: list[_Binding] = []
        self._applied = False

    def wrap(self, seam: Seam, wrapper: Callable[[Any], Any]) -> None:
        """`seam`'s target becomes `wrapper(original)`."""
        self._bind(seam, "wrap", wrapper)

    def replace(self, seam: Seam, value: Any) -> None:
        self._bind(seam, "replace", lambda _original: value)

    def add(self, seam: Seam, value: Any) -> None:
        self._bind(seam, "add", lambda _original: value)

    def remove(self, seam: Seam) -> None:
        self._bind(seam, "remove", lambda original: original)

    def _bind(self, seam: Seam, kind: Kind, make: Callable[[Any], Any]) -> None:
        if seam.kind != kind:
            raise ValueError(f"{seam.path} is declared as a {seam.kind} seam, not {kind}")
        if self._applied:
            raise RuntimeError(f"{self.name}: seams are bound before the set is applied")
        self._bindings.append(_Binding(seam, make))

    @property
    def applied(self) -> bool:
        return self._applied

    @property
    def seams(self) -> list[Seam]:
        return [binding.seam for binding in self._bindings]

    def apply(self) -> None:
        """Checks moto's version and every target, then changes them all; on any failure changes nothing."""
        with _registry_lock:
            if self._applied:
                return
            if self.exclusive and any(other.name == self.name for other in _applied):
                raise RuntimeError(f"another {self.name} is installed: uninstall it first")
            check_moto_version(self.name)
            for binding in self._bindings:
                check(binding.seam)
            try:
                for binding in self._bindings:
                    _apply(binding)
            except BaseException:
                self._restore()
                raise
            self._applied = True
            _applied.append(self)

    def undo(self) -> None:
        """Restores every original, last change first (idempotent)."""
        with _registry_lock:
            if not self._applied:
                return
            self._restore()
            self._applied = False
            _applied.remove(self)

    def _restore(self) -> None:
        for binding in reversed(self._bindings):
            if binding.applied:
                _undo(binding)


class SeamAdapter(ABC):
    """An adapter whose changes to moto are one `SeamSet`, built by `_seam_set()`: `install` applies it and
    `uninstall` undoes it, both idempotent."""

    _installed: SeamSet | None = None

    @abstractmethod
    def _seam_set(self) -> SeamSet:
        """The adapter's seams, bound to its code; applied by `install`."""

    def install(self) -> None:
        """Applies the adapter's seams (idempotent); on a failure nothing is changed and nothing is installed."""
        if self._installed is None:
            seam_set = self._seam_set()
            seam_set.apply()
            self._installed = seam_set

    def uninstall(self) -> None:
        """Restores what `install` changed (idempotent)."""
        if self._installed is not None:
            self._installed.undo()
            self._installed = None


def _apply(binding: _Binding) -> None:
    seam = binding.seam
    owner = resolve(seam.target)
    if seam.kind == "remove":
        binding.owner, binding.original = owner, owner.pop(seam.attribute)
        binding.applied = True
        return
    original = vars(owner).get(seam.attribute, _ABSENT)
    new = binding.make(original)
    if seam.kind != "add" and callable(getattr(original, "__func__", original)) and inspect.isfunction(new):
        # The replacement answers `inspect.signature` as the original does: a second seam on the same target (a fault
        # over the DynamoDB lock, say) is checked against moto's signature, not ours.
        new.__wrapped__ = getattr(original, "__func__", original)  # type: ignore[attr-defined]
        if isinstance(original, staticmethod):
            new = staticmethod(new)
    binding.owner, binding.original = owner, original
    setattr(owner, seam.attribute, new)
    binding.applied = True


def _undo(binding: _Binding) -> None:
    seam, owner = binding.seam, binding.owner
    if seam.kind == "remove":
        owner[seam.attribute] = binding.original
    elif binding.original is _ABSENT:
        delattr(owner, seam.attribute)
    else:
        setattr(owner, seam.attribute, binding.original)
    binding.applied = False


def applied_seams() -> list[tuple[str, Seam]]:
    """Every seam applied now, with the name of its set, in the order applied (for debugging)."""
    with _registry_lock:
        return [(seam_set.name, seam) for seam_set in _applied for seam in seam_set.seams]


def read(dotted: str) -> Any:
    """A moto name the runtime's seams use without changing it (a class they build, a list they watch), or
    MotoSeamError in one line naming it."""
    try:
        return resolve(dotted)
    except (ImportError, AttributeError):
        raise MotoSeamError(f"a moto name the local runtime reads is missing: {dotted}") from None
