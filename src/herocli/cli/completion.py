"""`hero completion bash|zsh|fish`: a script that asks hero itself what can come next.

The script calls `hero __complete -- WORDS...` (the words so far, the one being typed
last); hero answers one candidate a line: commands, options, item numbers, members,
labels and channels, read from the command tree and the queue.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import cache
from typing import Annotated, Any

import typer

from herocli.cli.common import context_of
from herocli.cli.help import examples
from herocli.context import Context
from herocli.errors import HeroError

SCRIPTS = {
    "bash": """\
# hero completion for bash: add to ~/.bashrc
#   source <(hero completion bash)
_hero_complete() {
    local IFS=$'\\n'
    COMPREPLY=($(hero __complete -- "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}
complete -o default -F _hero_complete hero
""",
    "zsh": """\
#compdef hero
# hero completion for zsh: add to ~/.zshrc (after compinit)
#   source <(hero completion zsh)
_hero() {
    local -a candidates
    candidates=("${(@f)$(hero __complete -- "${(@)words[2,CURRENT]}" 2>/dev/null)}")
    compadd -a candidates
}
compdef _hero hero
""",
    "fish": """\
# hero completion for fish: save as ~/.config/fish/completions/hero.fish
#   hero completion fish > ~/.config/fish/completions/hero.fish
complete -c hero -f -a '(hero __complete -- (commandline -opc)[2..-1] (commandline -ct) 2>/dev/null)'
""",
}

# Commands whose arguments are item numbers; where a member follows them.
_ITEM_COMMANDS = {"show", "open", "reply", "assign", "snooze", "close", "reopen", "note", "label"}
_SNOOZE_FORMS = ["1h", "2h", "eod", "tomorrow", "monday", "next week"]


class Shell(StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


def register(app: typer.Typer) -> None:
    app.command(
        epilog=examples(
            "source <(hero completion bash)",
            "source <(hero completion zsh)",
            "hero completion fish > ~/.config/fish/completions/hero.fish",
        )
    )(completion)


def completion(
    ctx: typer.Context,
    shell: Annotated[Shell, typer.Argument(metavar="SHELL", help="bash, zsh or fish.")],
) -> None:
    """Print a script that completes commands, options, item numbers, members, labels and
    channels as you type."""
    context_of(ctx).out.file.write(SCRIPTS[shell.value])


def run_complete(hero: Context, words: list[str]) -> int:
    """Print the candidates for the last of ``words``, one a line; never an error."""
    from typer.main import get_command

    from herocli.cli.main import full_app
    from herocli.services.inbox import completion_names

    @cache
    def names() -> dict[str, list[str]]:
        return completion_names(
            hero.store,
            hero.clock,
            channels=hero.config.enabled_channels(),
            members=hero.config.team.members,
        )

    typed = words[-1] if words else ""
    try:
        candidates = _candidates(names, get_command(full_app()), words[:-1], typed)
    except HeroError:  # no config, no queue yet: nothing to offer but what the tree knows
        candidates = []
    for word in dict.fromkeys(c for c in candidates if c.startswith(typed)):
        hero.out.file.write(word + "\n")
    return 0


Names = Callable[[], dict[str, list[str]]]


def _candidates(names: Names, root: Any, before: list[str], typed: str) -> list[str]:
    command: Any = root
    path: list[str] = []
    args: list[str] = []
    words = iter(before)
    for word in words:
        option = _option(command, word)
        if option is not None:
            if not option.is_flag and not option.count and "=" not in word:
                next(words, None)
            continue
        sub = getattr(command, "commands", {}).get(word)
        if sub is not None and not args:
            command = sub
            path.append(word)
        else:
            args.append(word)
    if before:
        option = _option(command, before[-1])
        if option is not None and not option.is_flag and not option.count:
            return _values(names(), option)
    if typed.startswith("-"):
        options = [o for p in command.params if getattr(p, "opts", None) for o in p.opts]
        options += [o for p in command.params for o in getattr(p, "secondary_opts", [])]
        if path and path[0] == "label":
            options += [f"-{name}" for name in names()["label"]]
        return sorted(o for o in options if o.startswith("--")) + sorted(
            o for o in options if not o.startswith("--")
        )
    if hasattr(command, "commands"):
        return [name for name, c in command.commands.items() if not c.hidden]
    return _arguments(names, path, args, typed)


def _option(command: Any, word: str) -> Any:
    name = word.split("=", 1)[0]
    for param in command.params:
        if name in getattr(param, "opts", ()) or name in getattr(param, "secondary_opts", ()):
            return param
    return None


def _values(names: dict[str, list[str]], option: Any) -> list[str]:
    wanted = option.name or ""
    if wanted == "channel":
        return names["channel"]
    if wanted in ("assignee", "to"):
        return names["member"]
    if wanted == "label":
        return names["label"]
    choices = getattr(option.type, "choices", None)
    return [str(c) for c in choices] if choices else []


def _arguments(names: Names, path: list[str], args: list[str], typed: str) -> list[str]:
    command = path[0] if path else ""
    if command == "completion":
        return list(SCRIPTS)
    if command == "sync":
        return names()["channel"]
    if command not in _ITEM_COMMANDS:
        return []
    known = names()
    if command == "label" and typed.startswith("+"):
        return [f"+{name}" for name in known["label"]]
    if command == "assign" and args:
        return [*known["member"], "none", *known["item"]]
    if command == "snooze" and args:
        return [*known["item"], *_SNOOZE_FORMS]
    if command in ("show", "open", "reply", "note") and args:
        return []
    return known["item"]
