"""``python -m herocli``."""

from herocli.cli.main import run

if __name__ == "__main__":
    run()
