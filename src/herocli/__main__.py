"""``python -m herocli``."""

from herocli.entry import run

if __name__ == "__main__":
    run()
