"""herocli: one queue for the support hero."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("herocli")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
