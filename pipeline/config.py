"""Typed configs from TOML tables: dataclasses built strictly, so a misspelt key is an error, not a default."""
from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, TypeVar

from pipeline.errors import InputError

T = TypeVar("T")


def config_from_dict(cls: type[T], data: dict[str, Any] | None, *, where: str) -> T:
    """Build dataclass `cls` from `data`; unknown keys and wrong types raise InputError naming `where`."""
    data = dict(data or {})
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise InputError(f"{where}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(fields))}")
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for name, value in data.items():
        kwargs[name] = _coerce(hints[name], value, where=f"{where}.{name}")
    try:
        return cls(**kwargs)
    except (TypeError, ValueError, InputError) as exc:  # a check of the dataclass itself (__post_init__)
        raise InputError(f"{where}: {exc}") from None


def config_with(config: T, *, where: str, **changes: Any) -> T:
    """`config` with `changes` (a command line's flags, a runner's sizes), checked as strictly as the table
    it came from; None values are left out, so unset flags keep the table's value."""
    data = {**config_to_dict(config), **{k: v for k, v in changes.items() if v is not None}}
    return config_from_dict(type(config), data, where=where)


def config_to_dict(config: Any) -> dict[str, Any]:
    """The plain-data form of a config, to save beside each output."""
    return dataclasses.asdict(config)


def _coerce(hint: Any, value: Any, *, where: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None:
            return None
        return _coerce(args[0], value, where=where) if len(args) == 1 else value
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise InputError(f"{where}: expected a table, got {value!r}")
        return config_from_dict(hint, value, where=where)
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise InputError(f"{where}: expected a list, got {value!r}")
        (item,) = typing.get_args(hint)[:1] or (Any,)
        items = [_coerce(item, v, where=f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint in (int, float, str, bool) and not (isinstance(value, hint) and not (hint is int and isinstance(value, bool))):
        raise InputError(f"{where}: expected {hint.__name__}, got {value!r}")
    return value
