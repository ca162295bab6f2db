"""How several sweep axes combine into one server-side batch: products, zips, and their order.

InvokeAI's batch ``data`` is a list of lists: the entries of one inner list are *zipped* (item i
of each goes into the same queue item, so they must be equally long) and the outer lists are
*multiplied*, the first varying slowest. A :class:`SweepPlan` says the same with friendly names:
``groups`` is that outer list, each group a ``{name: values}`` dict whose lists are zipped. Every
``--sweep`` is a group of its own; all ``--zip`` options form one group. The batch builder turns
each group into one inner list of batch data (one entry per place the name resolves to), so the
plan is checked here, before anything is built or sent.

Groups holding an expensive axis (a model: switching it means loading weights) go first, so
they vary slowest and each model is loaded once; the others keep the order they were given in.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from invokekit.errors import ParameterError
from invokekit.explore._values import MAX_VALUES, Value

#: a name's last part that makes an axis expensive to vary (it loads model weights)
_EXPENSIVE = re.compile(r"(^|_)(model|models|vae|lora|loras|clip|clip_embed|t5_encoder|encoder)$", re.IGNORECASE)


def is_expensive(name: str) -> bool:
    """True for axes that load weights when they change: ``model``, ``vae``, ``node.unet_model``..."""
    return _EXPENSIVE.search(name.rpartition(".")[2]) is not None


def order_axes(names: Sequence[str], *, expensive: Callable[[str], bool] = is_expensive) -> list[str]:
    """``names`` with the expensive ones first (outermost), each part keeping its given order."""
    return [n for n in names if expensive(n)] + [n for n in names if not expensive(n)]


@dataclass(frozen=True)
class SweepPlan:
    """Sweep axes as batch groups: the groups multiply, the names inside one group are zipped."""

    groups: tuple[dict[str, list[Value]], ...]

    @property
    def names(self) -> list[str]:
        """Every swept name, in group order."""
        return [name for group in self.groups for name in group]

    @property
    def count(self) -> int:
        """How many queue items one run of the plan makes."""
        total = 1
        for group in self.groups:
            total *= len(next(iter(group.values())))
        return total

    def items(self) -> list[dict[str, Value]]:
        """The swept values of every item, in the order InvokeAI enqueues them (one run)."""
        columns = [[dict(zip(group, row, strict=True)) for row in zip(*group.values(), strict=True)]
                   for group in self.groups]
        return [{k: v for part in combo for k, v in part.items()} for combo in itertools.product(*columns)]

    def batch_data(self, places: Callable[[str], Sequence[tuple[str, str]]]) -> list[list[dict[str, object]]]:
        """InvokeAI's batch ``data``: one inner list per group, one entry per ``(node_path, field_name)``
        that ``places(name)`` resolves each name to (an alias with several places stays zipped)."""
        from invokekit.workflow._api_json import datum  # the one builder of batch data entries

        return [[dict(datum(node, field, list(values))) for name, values in group.items()
                 for node, field in places(name)] for group in self.groups]

    def first_values(self) -> dict[str, Value]:
        """Each swept name's first value (what the graph itself is set to before batching)."""
        return {name: values[0] for group in self.groups for name, values in group.items()}


def _checked(name: str, values: Sequence[Value]) -> list[Value]:
    if isinstance(values, str | bytes) or not isinstance(values, Sequence) or not values:
        raise ParameterError(f"sweep {name!r} needs a non-empty list of values", field=name)
    if len(values) > MAX_VALUES:
        raise ParameterError(f"{len(values)} values; at most {MAX_VALUES} are allowed", field=name)
    return list(values)


def zip_group(zipped: Mapping[str, Sequence[Value]]) -> dict[str, list[Value]]:
    """One zipped group: the value lists must be equally long (item i takes value i of each)."""
    group = {name: _checked(name, values) for name, values in zipped.items()}
    lengths = {name: len(values) for name, values in group.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{name}: {n}" for name, n in lengths.items())
        raise ParameterError(f"zipped sweeps must have equally many values, got {shown}",
                             candidates=list(lengths))
    return group


def plan_sweeps(
    sweep: Mapping[str, Sequence[Value]] | None = None,
    zipped: Mapping[str, Sequence[Value]] | Sequence[Mapping[str, Sequence[Value]]] | None = None,
    *,
    runs: int = 1,
    limit: int = MAX_VALUES,
) -> SweepPlan:
    """Combine ``sweep`` (each name its own axis: the product) and ``zipped`` (names whose values
    go in pairs; one mapping, or several for several zipped groups) into a :class:`SweepPlan`.

    A name may appear only once across all of them, and the plan with ``runs`` may not make more
    than ``limit`` items; both are refused with :class:`ParameterError` before anything is built.
    """
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise ParameterError(f"runs must be a whole number >= 1, got {runs!r}")
    groups: list[dict[str, list[Value]]] = [{name: _checked(name, values)} for name, values in (sweep or {}).items()]
    zips = [zipped] if isinstance(zipped, Mapping) else list(zipped or [])
    groups += [zip_group(z) for z in zips if z]
    seen: set[str] = set()
    for name in (n for g in groups for n in g):
        if name in seen:
            raise ParameterError(f"{name!r} is swept twice (each parameter may be one axis, swept or zipped)",
                                 field=name)
        seen.add(name)
    groups.sort(key=lambda group: not any(is_expensive(n) for n in group))  # stable: expensive first
    plan = SweepPlan(tuple(groups))
    if plan.count * runs > limit:
        raise ParameterError(f"the sweep makes {plan.count} items x {runs} run(s) = {plan.count * runs}; "
                             f"at most {limit} fit in one batch")
    return plan


__all__ = ["SweepPlan", "is_expensive", "order_axes", "plan_sweeps", "zip_group"]
