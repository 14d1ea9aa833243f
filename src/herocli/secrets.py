"""Credentials come from environment variables, or the OS keyring when enabled; never from files."""

from __future__ import annotations

from collections.abc import Mapping

from herocli.errors import AuthError
from herocli.exchange import Secret

KEYRING_SERVICE = "herocli"


def _checked(secret: Secret, purpose: str) -> Secret:
    """``secret`` if every character of it can go into a header or a LOGIN command.

    A stray newline or a pasted non-ASCII character would otherwise fail deep in
    http or imaplib, with the value quoted in the error. The message never shows it.
    """
    value = secret.value
    if value.isascii() and value.isprintable():
        return secret
    what = "a control character" if not value.isprintable() else "a non-ASCII character"
    raise AuthError(
        f"the {purpose} in {secret.source} holds {what}, so it cannot be sent",
        hint=f"set {secret.source.lstrip('$')} again, copying only the credential itself",
    )


class EnvSecrets:
    """Looks each name up in the environment, then (if enabled) in the keyring under ``herocli``."""

    def __init__(self, env: Mapping[str, str], *, keyring: bool = False) -> None:
        self.env = env
        self.keyring = keyring

    def secret(self, names: tuple[str, ...], purpose: str) -> Secret:
        for name in names:
            value = self.env.get(name, "").strip()
            if value:
                return _checked(Secret(value, f"${name}"), purpose)
        if self.keyring:
            found = self._from_keyring(names)
            if found:
                return _checked(found, purpose)
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
