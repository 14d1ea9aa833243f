"""The small screens over the queue: a one-line question, a member picker, a confirmation, a sheet."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from herocli.render.text import safe

_BOX = """
{name} { align: center middle; }
{name} > Vertical {
    width: 90%; max-width: 100; height: auto; max-height: 90%;
    border: round $accent; padding: 0 1; background: $surface;
}
{name} .hint { color: $text-muted; }
"""


class Ask(ModalScreen[str | None]):
    """One line of text: enter answers, escape cancels."""

    DEFAULT_CSS = _BOX.replace("{name}", "Ask")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, hint: str = "", value: str = "") -> None:
        super().__init__()
        self.question, self.hint, self.value = question, hint, value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(safe(self.question, "bold"))
            yield Input(value=self.value, id="answer")
            if self.hint:
                yield Static(Text(self.hint), classes="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class Pick(ModalScreen[str | None]):
    """Choose one of ``choices``: arrows or j/k, enter picks, escape cancels."""

    DEFAULT_CSS = (
        _BOX.replace("{name}", "Pick") + "Pick OptionList { height: auto; max-height: 16; }"
    )
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("j", "down", show=False),
        Binding("k", "up", show=False),
    ]

    def __init__(self, question: str, choices: list[str], current: str | None = None) -> None:
        super().__init__()
        self.question, self.choices, self.current = question, choices, current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(safe(self.question, "bold"))
            yield OptionList(*(Option(safe(c), id=c) for c in self.choices), id="choices")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.current in self.choices:
            options.highlighted = self.choices.index(self.current)
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)


class Choose(ModalScreen[str]):
    """Show what is about to happen and the keys that answer; ``escape`` is the last choice."""

    DEFAULT_CSS = (
        _BOX.replace("{name}", "Choose") + "Choose VerticalScroll { height: auto; max-height: 16; }"
    )

    def __init__(
        self, question: str, body: RenderableType, keys: dict[str, tuple[str, str]]
    ) -> None:
        """``keys`` maps a key to (the answer it gives, what it says in the prompt)."""
        super().__init__()
        self.question, self.body, self.keys = question, body, keys

    def compose(self) -> ComposeResult:
        choices = "  ".join(f"{key} {label}" for key, (_answer, label) in self.keys.items())
        with Vertical():
            with VerticalScroll():
                yield Static(self.body)
            yield Static(safe(f"{self.question}  {choices}", "bold"))

    def on_key(self, event: events.Key) -> None:
        event.stop()
        if event.key in self.keys:
            self.dismiss(self.keys[event.key][0])
        elif event.key == "escape":
            self.dismiss(list(self.keys.values())[-1][0])


class Sheet(ModalScreen[None]):
    """A page to read (the key map, the outbox, the handoff); escape or q closes it."""

    DEFAULT_CSS = """
    Sheet { align: center middle; }
    Sheet > VerticalScroll {
        width: 95%; height: 90%; border: round $accent; padding: 0 1; background: $surface;
    }
    """
    BINDINGS = [
        Binding("escape,q", "close", "Close"),
        Binding("j", "scroll(1)", show=False),
        Binding("k", "scroll(-1)", show=False),
    ]

    def __init__(self, title: str, body: RenderableType) -> None:
        super().__init__()
        self.title_text, self.body = title, body

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = self.title_text
            scroll.border_subtitle = "esc closes"
            yield Static(self.body)

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_scroll(self, lines: int) -> None:
        self.query_one(VerticalScroll).scroll_relative(y=lines, animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
