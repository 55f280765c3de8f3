"""The schemes editor: a form per scheme, inline validation, commit, import / export."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.coordinate import Coordinate
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Input, Label, Select, Static

import damon_tui.damos.runtime  # noqa: F401
from damon_tui.damos.describe import describe
from damon_tui.damos.io import format_one_line, load_schemes, schemes_to_json
from damon_tui.damos.scheme import ACTIONS, GOAL_METRICS, WMARK_METRICS
from damon_tui.errors import UserError
from damon_tui.safe_output import safe_output
from damon_tui.tui import damos_bridge
from damon_tui.tui.scheme_form import FIELDS, SchemeForm
from damon_tui.tui.widgets.inputs import OrderedInput

if TYPE_CHECKING:
    from damon_tui.tui.app import DamonApp

_SELECTS = {"action", "wm_metric", "goal_metric"}


def open_screen(app) -> None:
    if not app.session.live:
        app.notify("not available: schemes run on a live target, not on a replay",
                   severity="warning")
        return
    app.push_screen(SchemesScreen())


def _actions(ops) -> list[str]:
    supported = set(ops.supported_actions()) | {"stat"}
    return [a for a in ACTIONS if a in supported]


def running_text(pending: int, app) -> Text:
    """``2 pending · running 3: 1 yours + 2 DAMON_LRU_SORT · ctrl+s commits yours``."""
    owners = damos_bridge.scheme_owners(app)
    mine = owners.count("user")
    parts = [f"{mine} yours"] + [f"{owners.count(o)} {o}" for o in dict.fromkeys(owners)
                                 if o != "user"]
    return Text(f"{pending} pending · running {len(owners)}: {' + '.join(parts)} · ctrl+s "
                "commits yours (presets keep theirs)", style="dim")


class PromptScreen(ModalScreen[str | None]):
    """Ask for one line of text (a path or a scheme line)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    PromptScreen { align: center middle; }
    PromptScreen > Vertical { width: 76; max-width: 100%; height: auto; border: thick $primary;
                              background: $surface; padding: 0 1; }
    """

    def __init__(self, title: str, placeholder: str = "", value: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.placeholder = placeholder
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text)
            yield OrderedInput(value=self.value, placeholder=self.placeholder, id="prompt")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class SchemesScreen(Screen):
    """Edit the pending schemes; commit applies them to the running monitor."""

    if TYPE_CHECKING:  # the app this screen is pushed on (Textual types it App[Any])
        app: DamonApp

    BINDINGS = [
        Binding("ctrl+s", "commit", "Commit"),
        Binding("ctrl+n", "add", "Add"),
        Binding("ctrl+d", "remove", "Remove"),
        Binding("ctrl+o", "import", "Import"),
        Binding("ctrl+e", "export", "Export"),
        Binding("escape", "back", "Back"),
    ]

    DEFAULT_CSS = """
    SchemesScreen #top { height: auto; max-height: 8; }
    SchemesScreen #list { height: auto; max-height: 7; }
    SchemesScreen #status { height: auto; padding: 0 1; }
    SchemesScreen .row { height: 1; }
    SchemesScreen .row Label.name { width: 22; }
    SchemesScreen .row Input { width: 1fr; height: 1; border: none; padding: 0 1; }
    SchemesScreen .row Select { width: 1fr; height: 1; }
    SchemesScreen .row Select > SelectCurrent { border: none; height: 1; padding: 0 1; }
    SchemesScreen .hint { height: 1; padding: 0 0 0 22; color: $text-muted; }
    SchemesScreen .err { height: auto; padding: 0 0 0 22; color: $error; }
    SchemesScreen #form { height: 1fr; }
    SchemesScreen .row:focus-within { background: $accent 25%; }
    SchemesScreen .row:focus-within Label.name { text-style: bold; color: $accent; }
    SchemesScreen .row Input:focus { background: $accent 40%; text-style: bold; }
    SchemesScreen .row Select:focus > SelectCurrent { background: $accent 40%; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[SchemeForm] = []
        self.selected = 0
        self._loading = False
        self._choices: dict[str, list[str]] = {}

    def compose(self) -> ComposeResult:
        self._choices = {"action": _actions(self.app.session.ops),
                         "wm_metric": list(WMARK_METRICS),
                         "goal_metric": ["none", *GOAL_METRICS]}
        with Vertical(id="top"):
            yield DataTable(id="list", cursor_type="row")
        yield Static(id="status")
        form = VerticalScroll(id="form")
        form.can_focus = False  # tab goes from the list straight to the first field
        with form:
            for name, label, hint in FIELDS:
                with Horizontal(classes="row"):
                    yield Label(label, classes="name")
                    if name in _SELECTS:
                        yield Select([(v, v) for v in self._choices[name]], id=f"f-{name}",
                                     allow_blank=False, compact=True)
                    else:
                        yield OrderedInput(id=f"f-{name}", compact=True)
                yield Label(hint, classes="hint", id=f"h-{name}", markup=False)
                yield Label("", classes="err", id=f"e-{name}", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        app = self.app
        self.forms = [SchemeForm.from_scheme(s) for s in app.session.schemes]
        table = self.query_one("#list", DataTable)
        table.add_columns("#", "scheme")
        self._refresh_list()
        self._load_form()
        self._set_status(self._running_text())

    # -- list ---------------------------------------------------------------------
    def _refresh_list(self) -> None:
        table = self.query_one("#list", DataTable)
        with self.prevent(DataTable.RowHighlighted):
            self._fill_list(table, self._words)

    def _words(self, scheme) -> str:
        """A scheme in words, ages as times for the monitor's aggregation interval."""
        attrs = self.app.session.attrs
        return describe(scheme, attrs.aggr_us if attrs is not None else None)

    def _fill_list(self, table, format_one_line) -> None:
        table.clear()
        for i, f in enumerate(self.forms):
            scheme, errors = f.build()
            text = format_one_line(scheme) if scheme else f"invalid: {next(iter(errors.values()))}"
            table.add_row(str(i), text)
        if not self.forms:
            table.add_row("-", "no schemes: ctrl+n adds one, ctrl+o imports")
        if self.forms:
            table.move_cursor(row=min(self.selected, len(self.forms) - 1))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if not self.forms or event.cursor_row == self.selected:
            return
        self.selected = min(event.cursor_row, len(self.forms) - 1)
        self._load_form()

    # -- form ---------------------------------------------------------------------
    def _load_form(self) -> None:
        form_box = self.query_one("#form")
        form_box.display = bool(self.forms)
        if not self.forms:
            return
        self._loading = True
        try:
            with self.prevent(Input.Changed, Select.Changed):
                self._set_values(self.forms[self.selected])
        finally:
            self._loading = False
        self._validate()

    def _set_values(self, form: SchemeForm) -> None:
        for name, _label, _hint in FIELDS:
            w = self.query_one(f"#f-{name}")
            value = getattr(form, name)
            if isinstance(w, Select):
                if value in self._choices.get(name, ()):
                    w.value = value
            elif isinstance(w, Input):
                w.value = value

    def _field_changed(self, name: str, value: str) -> None:
        if self._loading or not self.forms:
            return
        self.forms[self.selected] = self.forms[self.selected].set(name, value)
        self._validate()
        self._refresh_list_row()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id and event.input.id.startswith("f-"):
            self._field_changed(event.input.id[2:], event.input.value)  # current, not stale

    def on_select_changed(self, event: Select.Changed) -> None:
        value = event.select.value  # the current value: earlier events may be stale
        if event.select.id and event.select.id.startswith("f-") and value is not Select.BLANK:
            self._field_changed(event.select.id[2:], str(value))

    def _refresh_list_row(self) -> None:
        table = self.query_one("#list", DataTable)
        scheme, errors = self.forms[self.selected].build()
        text = self._words(scheme) if scheme else f"invalid: {next(iter(errors.values()))}"
        try:
            table.update_cell_at(Coordinate(self.selected, 1), text)
        except Exception:
            self._refresh_list()

    def errors(self) -> dict[str, str]:
        """Inline errors of the selected form, by field."""
        if not self.forms:
            return {}
        app = self.app
        _, errors = self.forms[self.selected].build(app.session.ops, app.session.attrs,
                                                    where=f"scheme {self.selected}")
        return errors or {}

    def _validate(self) -> None:
        errors = self.errors()
        for name, _label, _hint in FIELDS:
            self.query_one(f"#e-{name}", Label).update(errors.get(name, ""))
            self.query_one(f"#e-{name}", Label).display = name in errors
        if errors:
            self._set_status(Text(f"scheme {self.selected}: fix the field in red "
                                  "before commit", style="bold red"))
        else:
            self._set_status(self._running_text())

    def _running_text(self) -> Text:
        return running_text(len(self.forms), self.app)

    def _set_status(self, text) -> None:
        self.query_one("#status", Static).update(text)

    # -- actions ------------------------------------------------------------------
    def commit(self) -> tuple[bool, str]:
        """Validate every pending scheme and apply them; (ok, message)."""
        schemes = []
        app = self.app
        for i, form in enumerate(self.forms):
            scheme, errors = form.build(app.session.ops, app.session.attrs, where=f"scheme {i}")
            if errors:
                name, msg = next(iter(errors.items()))
                return False, f"commit refused, running schemes kept: scheme {i}: {msg}"
            schemes.append(scheme)
        try:
            msg = damos_bridge.commit(app, schemes)
        except UserError as e:
            return False, f"commit refused, running schemes kept: {e}"
        return True, msg

    def action_commit(self) -> None:
        ok, msg = self.commit()
        self._set_status(Text(msg, style="bold green" if ok else "bold red"))
        self.app.notify(msg, severity="information" if ok else "error")
        self.app.refresh_views(force=True)

    def action_add(self) -> None:
        self.forms.append(SchemeForm())
        self.selected = len(self.forms) - 1
        self._refresh_list()
        self._load_form()

    def action_remove(self) -> None:
        if not self.forms:
            return
        del self.forms[self.selected]
        self.selected = max(0, min(self.selected, len(self.forms) - 1))
        self._refresh_list()
        self._load_form()

    def action_import(self) -> None:
        def done(value: str | None) -> None:
            if value:
                self.import_schemes(value)

        self.app.push_screen(PromptScreen("Import schemes: a damo JSON file, a one-line "
                                          "file, or one scheme line",
                                          "4K max 0 0 60s max pageout"), done)

    def import_schemes(self, value: str) -> bool:
        try:
            schemes = load_schemes(value)
        except UserError as e:
            self._set_status(Text(f"import failed: {e}", style="bold red"))
            return False
        self.forms.extend(SchemeForm.from_scheme(s) for s in schemes)
        self.selected = len(self.forms) - 1
        self._refresh_list()
        self._load_form()
        self._set_status(Text(f"imported {len(schemes)} scheme(s); ctrl+s commits",
                              style="green"))
        return True

    def action_export(self) -> None:
        def done(value: str | None) -> None:
            if value:
                self.export_schemes(value)

        self.app.push_screen(PromptScreen("Export pending schemes to a file (.json: damo JSON, "
                                          "anything else: one-line format)",
                                          "schemes.json"), done)

    def export_schemes(self, path: str) -> bool:
        schemes = []
        for i, form in enumerate(self.forms):
            scheme, errors = form.build()
            if errors:
                self._set_status(Text(f"export refused: scheme {i}: "
                                      f"{next(iter(errors.values()))}", style="bold red"))
                return False
            schemes.append(scheme)
        p = Path(path).expanduser()
        if p.suffix == ".json":
            text = schemes_to_json(schemes) + "\n"
        else:
            text = "".join(format_one_line(s, full=True) + "\n" for s in schemes)
        try:
            with safe_output(p, "w") as f:
                f.write(text)
        except UserError as e:
            self._set_status(Text(f"export failed: {e}", style="bold red"))
            return False
        self._set_status(Text(f"exported {len(schemes)} scheme(s) to {p}", style="green"))
        return True

    def action_back(self) -> None:
        self.app.pop_screen()
