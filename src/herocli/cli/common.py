"""What every command shares: the context, item ids, and the JSON switch."""

from __future__ import annotations

from typing import Annotated

import typer

from herocli.context import Context
from herocli.errors import UsageError


def context_of(ctx: typer.Context) -> Context:
    root = ctx.find_root()
    assert isinstance(root.obj, Context)
    return root.obj


def item_number(value: str) -> int:
    """Accept 12 or #12."""
    text = value.strip().lstrip("#")
    if not text.isdigit():
        raise UsageError(f"{value!r} is not an item number (see `hero inbox`)")
    return int(text)


ItemArg = Annotated[
    str, typer.Argument(metavar="ID", help="Item number, as shown by `hero inbox` (12 or #12).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON with stable field names.")]
