"""The queue database: one SQLite file, versioned schema, all SQL lives here."""

from herocli.store.db import Store

__all__ = ["Store"]
