"""Frozen record classes, declared like dataclasses but built without generating code.

``@dataclass`` writes each class's ``__init__``, ``__repr__``, ``__eq__``,
``__hash__``, ``__setattr__`` and ``__delattr__`` as source text and compiles it
when the module is imported: about a fifth of a millisecond per class, paid by
every `hero` command before it reads anything. The queue's vocabulary (models,
config, the store's filters) is a few dozen classes, and compiling them cost
`hero inbox` more than reading the queue did. ``record`` gives the same
behaviour from the few shared functions below, so a class costs what a plain
class costs to define::

    @record
    class Note:
        id: int
        body: str = ""
        meta: Mapping[str, Any] = field(default_factory=dict)

A record is frozen; it compares and hashes as the tuple of its fields, shows
them in its repr (``field(repr=False)`` hides one), calls ``__post_init__``
when it has one, and ``replace`` copies it with some fields changed. Fields
Type checkers read it as a frozen dataclass
(PEP 681), so constructor calls and assignments are checked as for one.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform, overload

T = TypeVar("T")
_MISSING: Any = object()


class FrozenRecordError(AttributeError):
    """A record's field was assigned to or deleted: records never change."""


class Field:
    """What ``field()`` says about one field: its default or default factory, and repr."""

    __slots__ = ("default", "default_factory", "repr")

    def __init__(self, default: Any, default_factory: Callable[[], Any] | None, repr: bool) -> None:
        self.default = default
        self.default_factory = default_factory
        self.repr = repr


@overload
def field(*, default: T, repr: bool = True) -> T: ...
@overload
def field(*, default_factory: Callable[[], T], repr: bool = True) -> T: ...
@overload
def field(*, repr: bool = True) -> Any: ...
def field(
    *,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | None = None,
    repr: bool = True,
) -> Any:
    """A field with a default made per instance (``default_factory``), or hidden from repr."""
    if default is not _MISSING and default_factory is not None:
        raise ValueError("a field takes a default or a default_factory, not both")
    return Field(default, default_factory, repr)


def _no_values(obj: object) -> tuple[()]:
    return ()


class _Layout:
    """A record class's fields in order, with their defaults, built once per class."""

    __slots__ = (
        "factories",
        "known",
        "names",
        "needed",
        "post_init",
        "shown",
        "template",
        "values",
    )

    def __init__(self, cls: type, fields: dict[str, Field]) -> None:
        self.names = tuple(fields)
        self.known = frozenset(fields)
        self.shown = tuple(name for name, f in fields.items() if f.repr)
        self.factories = {
            n: f.default_factory for n, f in fields.items() if f.default_factory is not None
        }
        # Every field in order with its default (or _MISSING), for a call's values to go over.
        self.template = {n: f.default for n, f in fields.items()}
        # The fields without a default a call with k positional arguments must name: the
        # fields without one all come first.
        required = [
            n for n, f in fields.items() if f.default is _MISSING and f.default_factory is None
        ]
        self.needed = tuple(frozenset(required[k:]) for k in range(len(self.names) + 1))
        self.values: Callable[[object], object] = (
            attrgetter(*self.names) if self.names else _no_values
        )
        self.post_init: Callable[[object], None] | None = getattr(cls, "__post_init__", None)

    def bind(self, cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        """The field values of a call with ``args`` and ``kwargs``, in field order."""
        names = self.names
        if (
            len(args) > len(names)
            or not kwargs.keys() <= self.known
            or (args and not kwargs.keys().isdisjoint(names[: len(args)]))
        ):
            raise TypeError(self._misfit(cls.__name__, args, kwargs))
        needed = self.needed[len(args)]
        if not kwargs.keys() >= needed:
            missing = ", ".join(repr(n) for n in names if n in needed and n not in kwargs)
            raise TypeError(f"{cls.__name__}() missing required arguments: {missing}")
        # The template keeps field order as the call's values go over it (a sync builds
        # records by the ten thousand); a factory's field not given is made last.
        values = {**self.template, **dict(zip(names, args, strict=False)), **kwargs}
        for name, make in self.factories.items():
            if values[name] is _MISSING:
                values[name] = make()
        return values

    def _misfit(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        if len(args) > len(self.names):
            return (
                f"{name}() takes {len(self.names)} positional arguments but {len(args)} were given"
            )
        for key in kwargs:
            if key not in self.names:
                return f"{name}() got an unexpected keyword argument {key!r}"
        twice = next(key for key in kwargs if key in self.names[: len(args)])
        return f"{name}() got multiple values for argument {twice!r}"


def _layout(cls: type) -> _Layout:
    layout = getattr(cls, "__record__", None)
    if not isinstance(layout, _Layout):
        raise TypeError(f"{cls.__name__} is not a record")
    return layout


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    layout: _Layout = self.__record__
    # Setting the instance dict directly is how a frozen class sets its own fields.
    if not kwargs and len(args) == len(layout.names):
        self.__dict__.update(zip(layout.names, args, strict=True))
    elif not args and tuple(kwargs) == layout.names:  # every field by name, in order
        self.__dict__.update(kwargs)
    else:
        self.__dict__.update(layout.bind(type(self), args, kwargs))
    if layout.post_init is not None:
        layout.post_init(self)


def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__record__.shown)
    return f"{type(self).__qualname__}({shown})"


def _eq(self: Any, other: object) -> object:
    values = self.__record__.values
    if type(other) is not type(self):
        return NotImplemented
    return values(self) == values(other)


def _hash(self: Any) -> int:
    return hash(self.__record__.values(self))


def _setattr(self: Any, name: str, value: object) -> None:
    raise FrozenRecordError(f"cannot assign to field {name!r}")


def _delattr(self: Any, name: str) -> None:
    raise FrozenRecordError(f"cannot delete field {name!r}")


def _own_fields(cls: type) -> Iterator[tuple[str, Field]]:
    # Only the names matter: a record checks no types at run time.
    for name in inspect.get_annotations(cls):
        value = cls.__dict__.get(name, _MISSING)
        if isinstance(value, Field):
            spec = value
            if spec.default is _MISSING:
                delattr(cls, name)  # a factory's field has no class attribute
            else:
                setattr(cls, name, spec.default)
        else:
            spec = Field(value, None, True)
        if spec.default is not _MISSING and type(spec.default).__hash__ is None:
            raise ValueError(
                f"mutable default {type(spec.default).__name__} for field {name} "
                "is not allowed: use default_factory"
            )
        yield name, spec


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(cls: type[T]) -> type[T]:
    """Make ``cls`` a frozen record of its annotated fields (see the module's doc)."""
    if any(isinstance(base.__dict__.get("__record__"), _Layout) for base in cls.__mro__[1:]):
        raise TypeError(f"{cls.__name__}: a record cannot extend another record")
    fields = dict(_own_fields(cls))
    seen_default = ""
    for name, spec in fields.items():
        if spec.default is not _MISSING or spec.default_factory is not None:
            seen_default = name
        elif seen_default:
            raise TypeError(f"non-default field {name!r} follows default field {seen_default!r}")
    methods = {
        "__record__": _Layout(cls, fields),
        "__init__": _init,
        "__repr__": _repr,
        "__eq__": _eq,
        "__hash__": _hash,
        "__setattr__": _setattr,
        "__delattr__": _delattr,
        "__match_args__": tuple(fields),
    }
    for name, value in methods.items():
        setattr(cls, name, value)
    return cls


def from_values(cls: type[T], values: tuple[Any, ...]) -> T:
    """The record ``cls(*values)``, for ``values`` of every field in field order.

    It is made without a call to ``__init__``, which costs a listing more than
    reading its rows (a call passes and binds 21 arguments per item): for a store
    building records from rows it reads, with every value already in place.
    ``__post_init__`` runs as for a call.
    """
    layout = _layout(cls)
    if len(values) != len(layout.names):
        raise TypeError(
            f"{cls.__name__} has {len(layout.names)} fields but {len(values)} values were given"
        )
    obj: T = object.__new__(cls)
    # The lengths are compared above: strict's keyword would cost each record a tenth more.
    obj.__dict__.update(zip(layout.names, values))  # noqa: B905
    if layout.post_init is not None:
        layout.post_init(obj)
    return obj


def replace(obj: T, /, **changes: Any) -> T:
    """A copy of the record ``obj`` with the fields named in ``changes`` changed."""
    return type(obj)(**(as_dict(obj) | changes))


def as_dict(obj: object) -> dict[str, Any]:
    """The fields of the record ``obj`` by name, in order (values as they are, not copied)."""
    layout = _layout(type(obj))
    return {name: obj.__dict__[name] for name in layout.names}


def field_names(cls: type) -> tuple[str, ...]:
    """The names of the record class ``cls``'s fields, in order."""
    return _layout(cls).names
