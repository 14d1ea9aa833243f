"""Records behave as the frozen dataclasses they replace: same calls, repr, equality, errors."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from herocli.records import as_dict, field, field_names, from_values, record, replace


@record
class Shape:
    name: str
    size: int = 3
    tags: tuple[str, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)
    secret: str = field(default="", repr=False)


@dataclasses.dataclass(frozen=True)
class Twin:
    name: str
    size: int = 3
    tags: tuple[str, ...] = ()
    meta: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    secret: str = dataclasses.field(default="", repr=False)


NAMES = ("name", "size", "tags", "meta", "secret")
values = st.fixed_dictionaries(
    {"name": st.text(max_size=5)},
    optional={
        "size": st.integers(),
        "tags": st.tuples(st.text(max_size=3)),
        "meta": st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
        "secret": st.text(max_size=5),
    },
)


@given(values, st.integers(0, 5), st.randoms(use_true_random=False))
def test_a_record_is_built_shown_and_compared_as_its_dataclass_twin(
    kwargs: dict[str, Any], positional: int, rng: Any
) -> None:
    # Some leading fields positionally, the rest by keyword in any order.
    order = [n for n in NAMES if n in kwargs]
    positional = min(positional, next((i for i, n in enumerate(NAMES) if n not in kwargs), 5))
    args = [kwargs[n] for n in NAMES[:positional]]
    rest = [n for n in order if n not in NAMES[:positional]]
    rng.shuffle(rest)
    keywords = {n: kwargs[n] for n in rest}
    ours, theirs = Shape(*args, **keywords), Twin(*args, **keywords)
    assert repr(ours).removeprefix("Shape") == repr(theirs).removeprefix("Twin")
    assert list(vars(ours).items()) == list(vars(theirs).items())  # field order, always
    assert as_dict(ours) == dataclasses.asdict(theirs)
    assert ours == Shape(**as_dict(ours))


def test_each_instance_gets_its_own_default_from_a_factory() -> None:
    a, b = Shape("a"), Shape("b")
    assert a.meta == {}
    assert a.meta is not b.meta


def test_records_are_frozen() -> None:
    shape = Shape("a")
    with pytest.raises(AttributeError, match="cannot assign to field 'size'"):
        shape.size = 4  # type: ignore[misc]
    with pytest.raises(AttributeError, match="cannot delete field 'name'"):
        del shape.name  # type: ignore[misc]
    assert shape.size == 3


def test_equality_needs_the_same_class() -> None:
    assert Shape("a") == Shape("a", 3)
    assert Shape("a") != Shape("a", 4)
    assert Shape("a") != Twin("a")
    assert Shape("a").__eq__(("a", 3, (), {}, "")) is NotImplemented

    @record
    class Point:
        x: int
        y: int = 0

    assert len({Point(1), Point(1, 0), Point(x=1, y=0), Point(2)}) == 2
    assert hash(Point(1, 2)) == hash(Point(y=2, x=1))


def test_replace_changes_only_what_it_names() -> None:
    shape = Shape("a", tags=("x",), secret="s")
    changed = replace(shape, size=9)
    assert changed == Shape("a", 9, ("x",), secret="s")
    assert shape.size == 3
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        replace(shape, colour="red")


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((), {}, r"Shape\(\) missing required arguments: 'name'"),
        (("a", 1, (), {}, "", 6), {}, r"takes 5 positional arguments but 6 were given"),
        (("a",), {"name": "b"}, r"got multiple values for argument 'name'"),
        (("a",), {"colour": "red"}, r"got an unexpected keyword argument 'colour'"),
    ],
)
def test_a_bad_call_is_the_type_error_a_dataclass_gives(
    args: tuple[Any, ...], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        Shape(*args, **kwargs)
    with pytest.raises(TypeError):
        Twin(*args, **kwargs)


def test_post_init_runs_after_the_fields_are_set() -> None:
    seen: list[str] = []

    @record
    class Watched:
        value: str

        def __post_init__(self) -> None:
            seen.append(self.value)

    Watched("x")
    Watched(value="y")
    assert seen == ["x", "y"]


def test_mistakes_in_a_declaration_fail_at_once() -> None:
    with pytest.raises(ValueError, match="mutable default list"):

        @record
        class Mutable:
            items: list[int] = []  # noqa: RUF012

    with pytest.raises(TypeError, match="non-default field 'b' follows default field 'a'"):

        @record
        class Order:
            a: int = 1
            b: int

    with pytest.raises(TypeError, match="cannot extend another record"):

        @record
        class Bigger(Shape):
            extra: int = 0

    with pytest.raises(ValueError, match="not both"):
        field(default=1, default_factory=int)


def test_field_names_and_a_class_that_is_no_record() -> None:
    assert field_names(Shape) == NAMES
    with pytest.raises(TypeError, match="Twin is not a record"):
        field_names(Twin)
    with pytest.raises(TypeError, match="Twin is not a record"):
        replace(Twin("a"), size=1)


@given(values)
def test_from_values_makes_what_a_call_with_every_field_makes(kwargs: dict[str, Any]) -> None:
    every = as_dict(Shape(**kwargs))
    made = from_values(Shape, tuple(every.values()))
    assert made == Shape(**every)
    assert list(vars(made).items()) == list(every.items())
    assert repr(made) == repr(Shape(**every))
    with pytest.raises(AttributeError):
        made.name = "x"  # type: ignore[misc]


def test_from_values_needs_every_field_and_runs_post_init() -> None:
    with pytest.raises(TypeError, match="Shape has 5 fields but 2 values were given"):
        from_values(Shape, ("a", 1))
    seen: list[str] = []

    @record
    class Checked:
        name: str

        def __post_init__(self) -> None:
            seen.append(self.name)

    assert from_values(Checked, ("a",)) == Checked("a")
    assert seen == ["a", "a"]
