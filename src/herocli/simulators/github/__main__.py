"""``python -m herocli.simulators.github`` serves the demo seed."""

from herocli.simulators.github.simulator import main

main()
