"""The config's parsed TOML, kept between runs: the same values as a fresh parse, or a fresh parse.

A run whose config reads as the last one did takes its data from the cache and
never imports ``tomllib``; a changed file, a damaged cache or one that cannot be
written changes nothing a command sees.
"""

from __future__ import annotations

import marshal
import math
import os
import subprocess
import sys
import tomllib
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

from herocli.config import load_config, toml_cache_path
from herocli.config_toml import toml_data
from herocli.context import Context
from herocli.errors import ConfigError
from tests.sample_config import sample_config

# A rota: its start and swap are TOML dates, which marshal holds only as tagged text.
ROTA = sample_config(
    rota={
        "heroes": ["Hana"],
        "start": date(2026, 11, 2),
        "swaps": [{"date": date(2026, 11, 16), "hero": "Hana"}],
    }
)


def _config(tmp_path: Path, text: str = ROTA) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_cache_lives_in_the_xdg_cache_dir(tmp_path: Path) -> None:
    assert toml_cache_path({"XDG_CACHE_HOME": str(tmp_path / "c")}) == (
        tmp_path / "c" / "hero" / "config-toml.marshal"
    )
    assert toml_cache_path({"HOME": str(tmp_path)}) == (
        tmp_path / ".cache" / "hero" / "config-toml.marshal"
    )


def test_with_no_home_to_keep_it_in_the_config_is_parsed_each_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert toml_cache_path({}) is None
    path = _config(tmp_path)
    ctx = Context(config_path=path, env={"HERO_DATA_DIR": str(tmp_path / "data")})
    assert ctx.config == load_config(path)


def test_a_kept_config_loads_as_a_fresh_parse_does(tmp_path: Path) -> None:
    path = _config(tmp_path)
    cache = tmp_path / "cache" / "config-toml.marshal"
    fresh = load_config(path)
    assert load_config(path, cache=cache) == fresh  # parsed, and kept
    assert cache.exists()
    assert oct(cache.stat().st_mode & 0o777) == "0o600"
    assert load_config(path, cache=cache) == fresh  # from the cache
    assert fresh.rota.start == date(2026, 11, 2)


def test_a_second_run_reads_the_cache_and_never_imports_tomllib(tmp_path: Path) -> None:
    path = _config(tmp_path)
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from herocli.context import Context\n"
        f"ctx = Context(config_path=Path({str(path)!r}))\n"
        "print(repr(ctx.config), 'tomllib' in sys.modules)\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}

    def run() -> tuple[str, str]:
        out = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        ).stdout
        config, imported = out.rsplit(" ", 1)
        return config, imported.strip()

    first, imported_first = run()
    second, imported_second = run()
    assert (imported_first, imported_second) == ("True", "False")
    assert second == first == repr(load_config(path))


def test_a_changed_file_is_read_again_even_with_the_same_size_and_time(tmp_path: Path) -> None:
    path = _config(tmp_path, sample_config(hero={"me": "Hana"}))
    cache = tmp_path / "config-toml.marshal"
    stat = path.stat()
    assert load_config(path, cache=cache).hero.me == "Hana"
    path.write_text(sample_config(hero={"me": "Ravi"}), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    assert load_config(path, cache=cache).hero.me == "Ravi"


def _kept_as(data: Any, text: str = ROTA) -> bytes:
    return marshal.dumps(((2, sys.version), text, data, True))


@pytest.mark.parametrize(
    "kept",
    [
        b"not marshal at all {",
        b"",
        marshal.dumps([]),
        marshal.dumps(((1, "another python"), "", {}, False)),
        marshal.dumps(((1, sys.version), ROTA, {}, False)),  # the JSON cache's format number
        marshal.dumps(((2, "another python"), ROTA, {}, False)),
        marshal.dumps(((2, sys.version), ROTA, {})),  # no times flag
        marshal.dumps((None,)),
        marshal.dumps(((2, sys.version), 5, [], False)),
        _kept_as({"rota": {"start": ("date", "not a date")}}),
        _kept_as({"rota": {"start": ("decade", "1990")}}),
        _kept_as({"rota": {"start": (["date"], "2026-01-01")}}),
        _kept_as({"rota": {"start": ("date",)}}),
        _kept_as({"rota": {"start": ("date", 20260101)}}),
        _kept_as([]),
        marshal.dumps(((2, sys.version), ROTA, {"x": 1}, False))[:-3],  # cut short
        b"\xff" * 5000,
    ],
    ids=lambda kept: repr(kept[:24]),
)
def test_a_damaged_or_foreign_cache_means_a_fresh_parse(tmp_path: Path, kept: bytes) -> None:
    path = _config(tmp_path)
    cache = tmp_path / "config-toml.marshal"
    cache.write_bytes(kept)
    assert load_config(path, cache=cache) == load_config(path)
    # ...and the cache now holds this file's data, read back as a fresh parse.
    assert marshal.loads(cache.read_bytes())[1] == path.read_text()
    assert load_config(path, cache=cache) == load_config(path)


def test_a_cache_that_cannot_be_written_only_costs_a_parse(tmp_path: Path) -> None:
    path = _config(tmp_path)
    blocked = tmp_path / "a-file"
    blocked.write_text("", encoding="utf-8")
    cache = blocked / "hero" / "config-toml.marshal"  # its directory would be under a file
    assert load_config(path, cache=cache) == load_config(path)
    assert not cache.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "config.toml"]


def test_bad_toml_is_the_same_error_with_a_cache_and_is_never_kept(tmp_path: Path) -> None:
    path = _config(tmp_path, '[hero]\nme = "Hana\n')
    cache = tmp_path / "config-toml.marshal"
    with pytest.raises(ConfigError) as plain:
        load_config(path)
    with pytest.raises(ConfigError) as cached:
        load_config(path, cache=cache)
    assert cached.value.problems == plain.value.problems
    assert not cache.exists()


def test_a_table_shaped_like_a_kept_date_reads_back_as_itself(tmp_path: Path) -> None:
    # The JSON cache tagged dates with a key, so a table using that key was never kept;
    # marshal's tuples are no TOML value, so every table is kept as it is.
    cache = tmp_path / "config-toml.marshal"
    text = '[x]\n"$toml-type" = "date"\niso = "2026-01-01"\nkind = ["date", "2026-01-01"]\n'
    assert toml_data(text, "f", cache) == tomllib.loads(text)
    assert cache.exists()
    assert toml_data(text, "f", cache) == tomllib.loads(text)


def _same(a: Any, b: Any) -> bool:
    """Equal, with types (1 is not 1.0 nor True, a date is not a datetime), NaN equal to NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, datetime | time):
        return a == b and a.utcoffset() == b.utcoffset() if a.tzinfo else a == b
    return bool(a == b)


_zones = st.sampled_from(
    [None, UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))]
)
_scalars = st.one_of(
    st.text(max_size=20),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.datetimes(timezones=_zones),
    st.times(),
)
_keys = st.text(min_size=1, max_size=10)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150)
@given(st.dictionaries(_keys, _values, max_size=6))
def test_any_toml_reads_back_from_the_cache_as_tomllib_reads_it(
    tmp_path_factory: Any, doc: dict[str, Any]
) -> None:
    cache = tmp_path_factory.mktemp("cache") / "config-toml.marshal"
    text = tomli_w.dumps(doc)
    parsed = tomllib.loads(text)
    assert _same(toml_data(text, "f", cache), parsed)
    assert cache.exists()
    assert _same(toml_data(text, "f", cache), parsed)  # from the cache
