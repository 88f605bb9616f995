"""A DAG of tasks and its series-parallel decomposition (what the compiler turns into nested Parallel states).

`Graph` maps each task to the tasks it depends on; an edge `a -> b` means b waits for a. `decompose` returns a tree
of `Leaf` (one task), `Series` (parts one after the other: each part waits for the whole previous one),
`Parallel` (independent parts side by side) and `Join` (a part that is not series-parallel, e.g. the "N" a->c,
b->c, b->d: its tasks run side by side and each waits for its own dependencies' completion signals; see
asl/dag/compile.py). The decomposition is exact: a part waits only for tasks it truly depends on.

- Parallel: the connected components (edges taken undirected) of a part have no dependency between them.
- Series: a part splits into A then B when every task of A reaches every task of B. Then in any topological order
  all of A comes before all of B, so checking the prefixes of one topological order finds the split; and a task of
  B that could start once its own dependencies are done could not start any earlier than after all of A anyway.
- Each part is convex (a path between two of its tasks stays inside it), so deps from outside a part are all in
  parts that finished before it started.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class Leaf:
    task: str


@dataclass(frozen=True)
class Series:
    parts: tuple[Block, ...]


@dataclass(frozen=True)
class Parallel:
    parts: tuple[Block, ...]


@dataclass(frozen=True)
class Join:
    tasks: tuple[str, ...]  # in topological order


Block = Leaf | Series | Parallel | Join


class Graph:
    def __init__(self, dependencies: Mapping[str, Sequence[str]]) -> None:
        self.dependencies = {task: tuple(deps) for task, deps in dependencies.items()}
        self.tasks = tuple(self.dependencies)
        self.dependents: dict[str, tuple[str, ...]] = {
            task: tuple(other for other in self.tasks if task in self.dependencies[other]) for task in self.tasks
        }

    def cycle(self) -> list[str] | None:
        """A cycle as the tasks along it, first repeated last (`a -> b -> a`: b waits for a, a for b); or None."""
        state: dict[str, int] = {}  # 1: on the current path, 2: done
        path: list[str] = []

        def visit(task: str) -> list[str] | None:
            state[task] = 1
            path.append(task)
            for dependent in self.dependents[task]:
                if state.get(dependent) == 1:
                    return [*path[path.index(dependent) :], dependent]
                if dependent not in state and (found := visit(dependent)):
                    return found
            path.pop()
            state[task] = 2
            return None

        for task in self.tasks:
            if task not in state and (found := visit(task)):
                return found
        return None

    @cached_property
    def order(self) -> tuple[str, ...]:
        """A topological order, stable: among the ready tasks, the first declared goes first."""
        done: list[str] = []
        left = list(self.tasks)
        while left:
            ready = next(task for task in left if all(dep in done for dep in self.dependencies[task]))
            done.append(ready)
            left.remove(ready)
        return tuple(done)

    def ancestors(self, task: str) -> set[str]:
        """Every task `task` waits for, directly or not."""
        found: set[str] = set()
        stack = list(self.dependencies[task])
        while stack:
            current = stack.pop()
            if current not in found:
                found.add(current)
                stack.extend(self.dependencies[current])
        return found

    @cached_property
    def _descendants(self) -> dict[str, set[str]]:
        result: dict[str, set[str]] = {}
        for task in reversed(self.order):
            result[task] = set(self.dependents[task]).union(*(result[d] for d in self.dependents[task]))
        return result

    def path(self, source: str, target: str) -> list[str]:
        """A dependency path from `source` to `target` (`target` waits for `source`, directly or not)."""
        if source == target:
            return [source]
        step = next(d for d in self.dependents[source] if d == target or target in self._descendants[d])
        return [source, *self.path(step, target)]

    def decompose(self, tasks: Sequence[str] | None = None) -> Block:
        """The series-parallel decomposition of `tasks` (all of them by default), see the module docstring."""
        part = [task for task in self.order if tasks is None or task in tasks]
        if len(part) == 1:
            return Leaf(part[0])
        components = self._components(part)
        if len(components) > 1:
            return Parallel(tuple(self.decompose(component) for component in components))
        for split in range(1, len(part)):
            first, rest = part[:split], part[split:]
            if all(b in self._descendants[a] for a in first for b in rest):
                tail = self.decompose(rest)
                tail_parts = tail.parts if isinstance(tail, Series) else (tail,)
                return Series((self.decompose(first), *tail_parts))
        return Join(tuple(part))

    def _components(self, part: list[str]) -> list[list[str]]:
        inside = set(part)
        seen: set[str] = set()
        components = []
        for task in part:
            if task in seen:
                continue
            component, stack = set(), [task]
            while stack:
                current = stack.pop()
                if current in component:
                    continue
                component.add(current)
                neighbours = (*self.dependencies[current], *self.dependents[current])
                stack.extend(n for n in neighbours if n in inside)
            seen |= component
            components.append([t for t in part if t in component])
        return components
