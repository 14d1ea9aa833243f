"""Credentials come from environment variables, or the OS keyring when enabled; never from files."""

from __future__ import annotations

from collections.abc import Mapping

from herocli.errors import AuthError
from herocli.models import Secret

KEYRING_SERVICE = "herocli"


class EnvSecrets:
    """Looks each name up in the environment, then (if enabled) in the keyring under ``herocli``."""

    def __init__(self, env: Mapping[str, str], *, keyring: bool = False) -> None:
        self.env = env
        self.keyring = keyring

    def secret(self, names: tuple[str, ...], purpose: str) -> Secret:
        for name in names:
            value = self.env.get(name, "").strip()
            if value:
                return Secret(value, f"${name}")
        if self.keyring:
            found = self._from_keyring(names)
            if found:
                return found
        listed = " or ".join(f"${n}" for n in names)
        where = f" (or the keyring service {KEYRING_SERVICE!r})" if self.keyring else ""
        raise AuthError(
            f"no {purpose}: set {listed}{where}",
            hint=f"export {names[0]}=... before running hero",
        )

    def _from_keyring(self, names: tuple[str, ...]) -> Secret | None:
        try:
            import keyring
            from keyring.errors import KeyringError
        except ImportError:
            return None
        for name in names:
            try:
                value = keyring.get_password(KEYRING_SERVICE, name)
            except KeyringError:
                return None
            if value:
                return Secret(value, f"keyring {KEYRING_SERVICE}/{name}")
        return None
