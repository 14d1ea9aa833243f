"""The GitHub simulator: state, REST, GraphQL and rate limits behind one local server."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from herocli.models import Clock
from herocli.simulators.github.handler import Handler, Simulated
from herocli.simulators.server import LocalServer

DEMO_SEED = Path(__file__).parent.parent / "data" / "github_demo.json"


class GithubSimulator(Simulated, LocalServer):
    """A GitHub API server on 127.0.0.1 with state you can seed, change and inspect."""

    def __init__(
        self,
        seed: Mapping[str, Any] | Path | str | None = None,
        tokens: Mapping[str, str] | Iterable[str] = ("test-token",),
        clock: Clock | None = None,
        html_base: str = "https://github.com",
    ) -> None:
        super().__init__(tokens, clock, html_base)
        if seed is not None:
            self.load(seed)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        simulator = self

        class Bound(Handler):
            sim = simulator

        return Bound

    @property
    def url(self) -> str:
        return self.base_url


def main() -> None:
    """Serve the demo seed until interrupted: ``python -m herocli.simulators.github``."""
    import time

    with GithubSimulator(seed=DEMO_SEED, tokens={"demo-token": "hana"}) as sim:
        print(f'api_url = "{sim.url}"  (token: demo-token)', flush=True)
        try:
            # Short naps: Ctrl-C delivered to a server thread runs only when this thread wakes.
            while True:
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
