"""Secrets come from the environment, then (when enabled) the OS keyring; errors name the variables."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend

from herocli.errors import AuthError
from herocli.secrets import KEYRING_SERVICE, EnvSecrets


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.values.pop((service, username), None)


@pytest.fixture
def ring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_first_set_variable_wins() -> None:
    secrets = EnvSecrets({"GITHUB_TOKEN": "second", "GH_TOKEN": "first"})
    found = secrets.secret(("GH_TOKEN", "GITHUB_TOKEN"), "GitHub token")
    assert (found.value, found.source) == ("first", "$GH_TOKEN")
    assert "first" not in repr(found)


def test_blank_variables_do_not_count() -> None:
    found = EnvSecrets({"GH_TOKEN": "  ", "GITHUB_TOKEN": "tok"}).secret(
        ("GH_TOKEN", "GITHUB_TOKEN"), "GitHub token"
    )
    assert found.source == "$GITHUB_TOKEN"


def test_missing_names_every_variable() -> None:
    with pytest.raises(AuthError) as caught:
        EnvSecrets({}).secret(("GH_TOKEN", "GITHUB_TOKEN"), "GitHub token")
    assert caught.value.message == "no GitHub token: set $GH_TOKEN or $GITHUB_TOKEN"
    assert caught.value.hint == "export GH_TOKEN=... before running hero"


def test_keyring_is_asked_only_when_enabled(ring: MemoryKeyring) -> None:
    ring.set_password(KEYRING_SERVICE, "SLACK_TOKEN", "xoxb-from-keyring")
    with pytest.raises(AuthError):
        EnvSecrets({}).secret(("SLACK_TOKEN",), "Slack token")
    found = EnvSecrets({}, keyring=True).secret(("SLACK_TOKEN",), "Slack token")
    assert found.value == "xoxb-from-keyring"
    assert found.source == "keyring herocli/SLACK_TOKEN"


def test_environment_beats_keyring(ring: MemoryKeyring) -> None:
    ring.set_password(KEYRING_SERVICE, "SLACK_TOKEN", "from-keyring")
    found = EnvSecrets({"SLACK_TOKEN": "from-env"}, keyring=True).secret(
        ("SLACK_TOKEN",), "Slack token"
    )
    assert found.value == "from-env"


def test_keyring_miss_says_where_it_looked(ring: MemoryKeyring) -> None:
    with pytest.raises(AuthError) as caught:
        EnvSecrets({}, keyring=True).secret(("SLACK_TOKEN",), "Slack token")
    assert "keyring service 'herocli'" in caught.value.message
