"""Every hero command: the module that holds it, and its line in `hero --help`.

A run imports only the module of the command it names, so `hero inbox` pays for
neither the handoff, triage, outbox nor config code, and `hero --help` (or a word
that is no command) lists this table without importing any command module.
A command a module registers must be listed here, or hero cannot reach it.
"""

from __future__ import annotations

# name: (module under herocli.cli, the summary `hero --help` shows), in help order.
COMMANDS: dict[str, tuple[str, str]] = {
    "sync": ("sync", "Fetch new and changed conversations from every channel."),
    "inbox": ("inbox", "The queue: open items waiting on us, longest wait first."),
    "show": ("inbox", "The whole conversation, oldest first, with links to the source."),
    "open": ("browse", "Open an item at its source in your browser."),
    "reply": ("reply", "Answer an item on its own channel."),
    "assign": ("triage", "Rope a teammate in: assign items to them."),
    "snooze": ("triage", "Hide items until a time; each wakes early if they write."),
    "close": ("triage", "Close items, and upstream where the channel can."),
    "reopen": ("triage", "Reopen closed or snoozed items."),
    "note": ("triage", "Keep a private note on an item."),
    "label": ("triage", "Add (+name) and remove (-name) labels on items."),
    "demo": ("demo", "Try hero with no account, on local GitHub, Slack and mail."),
    "rota": ("report", "Who is the hero now, and the turns ahead."),
    "stats": ("report", "Volume per day, response and close times, what waits."),
    "handoff": ("report", "The week-end report and carry-over for the next hero."),
    "outbox": ("outbox", "Replies and other writes waiting to be sent."),
    "config": ("config_cmd", "Write, check and locate the config file."),
    "tui": ("tui", "The queue, the conversation and the status on one live screen."),
    "completion": ("completion", "Print a shell completion script (bash, zsh, fish)."),
}
