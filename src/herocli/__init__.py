"""herocli: one queue for the support hero."""

# The single source of the version (pyproject.toml reads it from here); a
# literal rather than importlib.metadata keeps `hero --help` quick.
__version__ = "0.1.0"
