"""Numeric sweep syntax: numbers and the ranges ``A-B``, ``A-B (+S)``, ``A-B [N]``.

The syntax is AUTOMATIC1111's X/Y/Z plot syntax, which many users already type. Arithmetic is
done in :class:`decimal.Decimal` on the digits as written, so ``1-2 (+0.25)`` gives exactly
1, 1.25, 1.5, 1.75, 2 (and ``0-1 (+0.1)`` ends on 1.0): float accumulation never drops or adds
the last value.

Rules, decided once:

- The range's ``-`` is the first minus sign after the first number; a minus sign right at the
  start of either end is that number's sign: ``-5--1`` is -5..-1, ``-2-2`` is -2..2, ``5-1`` counts
  down (step -1).
- ``(S)`` is the step; its sign must point from the start to the end (``10-1 (-3)``), and the end
  is included only when a step lands on it.
- ``[N]`` gives N evenly spaced values, both ends included.
- Values are ``int`` when every number as written is an integer (no ``.`` and no exponent) and
  every value is integral; otherwise ``float``. For an integer field (``integer=True``) fractional
  values are refused, except that ``[N]`` rounds to the nearest integer (half up) as long as the
  N integers stay distinct.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, DecimalException

from invokekit.errors import ParameterError
from invokekit.explore._values import MAX_VALUES

_NUM = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_NUMBER = re.compile(rf"\s*({_NUM})\s*")
_RANGE = re.compile(
    rf"\s*(?P<a>{_NUM})\s*-\s*(?P<b>{_NUM})\s*"
    rf"(?:\(\s*(?P<step>{_NUM})\s*\)|\[\s*(?P<count>[+-]?\d+)\s*\])?\s*"
)
#: something that wants to be a range but is not one: a number, a dash, and more
_RANGE_LIKE = re.compile(rf"\s*{_NUM}\s*-.*")

Number = int | float


def _is_int_text(text: str) -> bool:
    return not any(ch in text for ch in ".eE")


def _out(value: Decimal, as_int: bool) -> Number:
    return int(value) if as_int and value == value.to_integral_value() else float(value)


def parse_number(piece: str, *, name: str, integer: bool = False) -> Number | None:
    """``piece`` as a number (``int`` when written as one), or None when it is not a number."""
    match = _NUMBER.fullmatch(piece)
    if match is None:
        return None
    text = match.group(1)
    value = Decimal(text)
    if not math.isfinite(float(value)):
        raise ParameterError(f"{text} is too large a number", field=name)
    if integer:
        if value != value.to_integral_value():
            raise ParameterError(f"{text} is not a whole number, and this parameter takes integers",
                                 field=name)
        return int(value)
    return int(value) if _is_int_text(text) else float(value)


def looks_like_range(piece: str) -> bool:
    """True when ``piece`` starts like a range (a number, then ``-``), even if it is malformed."""
    return _RANGE_LIKE.fullmatch(piece) is not None and _NUMBER.fullmatch(piece) is None


def parse_range(piece: str, *, name: str, integer: bool = False) -> list[Number] | None:
    """The values of the range ``piece``, or None when ``piece`` is not written as a range."""
    match = _RANGE.fullmatch(piece)
    if match is None:
        return None
    a_text, b_text = match.group("a"), match.group("b")
    a, b = Decimal(a_text), Decimal(b_text)
    written_int = _is_int_text(a_text) and _is_int_text(b_text)
    if match.group("count") is not None:
        return _counted(piece.strip(), a, b, int(match.group("count")), written_int, name, integer)
    step_text = match.group("step")
    if step_text is None:
        step = Decimal(1) if b >= a else Decimal(-1)
    else:
        step = Decimal(step_text)
        written_int = written_int and _is_int_text(step_text)
    return _stepped(piece.strip(), a, b, step, written_int, name, integer)


def _check_count(piece: str, count: int, name: str) -> None:
    if count > MAX_VALUES:
        raise ParameterError(f"{piece!r} gives {count} values; at most {MAX_VALUES} are allowed", field=name)


def _stepped(piece: str, a: Decimal, b: Decimal, step: Decimal, as_int: bool, name: str, integer: bool) -> list[Number]:
    if step == 0:
        raise ParameterError(f"{piece!r} has a step of 0", field=name)
    if (b - a) * step < 0:
        raise ParameterError(f"{piece!r} never reaches its end: the step's sign must point from "
                             f"{a} to {b} (write {'-' if step > 0 else '+'}{abs(step)})", field=name)
    try:
        count = int(((b - a) / step).to_integral_value(ROUND_FLOOR)) + 1
    except DecimalException:
        raise ParameterError(f"{piece!r} is not a range that can be counted", field=name) from None
    _check_count(piece, count, name)
    values = [a + i * step for i in range(count)]
    if integer and any(v != v.to_integral_value() for v in values):
        raise ParameterError(f"{piece!r} gives fractional values, and this parameter takes integers",
                             field=name)
    return [_out(v, as_int or integer) for v in values]


def _counted(piece: str, a: Decimal, b: Decimal, count: int, as_int: bool, name: str, integer: bool) -> list[Number]:
    if count < 1:
        raise ParameterError(f"{piece!r} asks for {count} values; write [N] with N >= 1", field=name)
    _check_count(piece, count, name)
    if count == 1:
        values = [a]
    else:
        values = [a + (b - a) * i / (count - 1) for i in range(count)]
        values[-1] = b  # exactly the end, whatever the division rounded
    if integer:
        rounded = [v.to_integral_value(ROUND_HALF_UP) for v in values]
        if len(set(rounded)) != len(rounded):
            raise ParameterError(f"{piece!r} asks for {count} values, but only {len(set(rounded))} "
                                 "distinct integers lie in that range", field=name)
        return [int(v) for v in rounded]
    as_int = as_int and all(v == v.to_integral_value() for v in values)
    return [_out(v, as_int) for v in values]


__all__ = ["Number", "looks_like_range", "parse_number", "parse_range"]
