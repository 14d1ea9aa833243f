"""The sample team's config (Hana and Ravi at acme.dev), for the tests and the benchmarks.

`sample_config()` is the whole file as TOML text; a keyword replaces one top-level
table, or drops it when given ``None``, so each user states only how its config
differs from the sample.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import tomli_w

HANA = {"name": "Hana", "github": "hana", "emails": ["hana@acme.dev"], "slack": "U0HANA"}
RAVI = {"name": "Ravi", "github": "ravi", "emails": ["ravi@acme.dev"], "slack": "U0RAVI"}


def team(*members: dict[str, Any]) -> dict[str, Any]:
    """The [team] table: these members, every address at acme.dev counted as the team's."""
    return {"email_domains": ["acme.dev"], "members": list(members)}


def rota(start: date) -> dict[str, Any]:
    """Hana and Ravi take turns, a week each, from ``start``."""
    return {"heroes": ["Hana", "Ravi"], "start": start}


def sample_config(**tables: dict[str, Any] | None) -> str:
    """The sample config as TOML text, with ``tables`` replacing (or, as None, dropping) its own."""
    doc: dict[str, Any] = {
        "hero": {"me": "Hana", "timezone": "Europe/Berlin"},
        "team": team(HANA, RAVI),
        "github": {"repos": ["acme/widget"]},
        "slack": {"channels": ["#support"]},
        "rota": rota(date(2026, 11, 2)),
    }
    for name, table in tables.items():
        if table is None:
            doc.pop(name, None)
        else:
            doc[name] = table
    return tomli_w.dumps(doc)
