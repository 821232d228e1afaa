"""The README's Configuration table and the code's environment reads agree
with braintrust_otel.settings, the one place configuration is read."""

from __future__ import annotations

import ast
from pathlib import Path

from braintrust_otel.settings import VARIABLES, Settings, _size

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"

# Reads of other libraries' variables that stay where they are: each is
# read-modify-write of a variable that configures that library, not us.
ALLOWED_READS = {
    ("braintrust_otel/distro.py", "OTEL_TRACES_EXPORTER"),  # saved, then restored
    ("braintrust_otel/instrumentation/_genai_env.py", "_OPT_IN"),  # amended for OTel GenAI
}


def _table() -> list[list[str]]:
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    assert rows[0].replace(" ", "") == "|variable|meaning|default|", rows[0]
    return [[c.strip() for c in line.strip().strip("|").split("|")] for line in rows[2:]]


def test_settings_fields_are_the_variables_in_order() -> None:
    assert list(Settings.__annotations__) == [v.field for v in VARIABLES]
    assert Settings() == Settings(**{v.field: v.default for v in VARIABLES})
    assert len({v.name for v in VARIABLES}) == len(VARIABLES)


def test_readme_table_lists_every_variable_with_its_meaning_and_default() -> None:
    rows = _table()
    listed = [row[0].strip("`") for row in rows]
    known = [v.name for v in VARIABLES]
    missing = [n for n in known if n not in listed]
    unknown = [n for n in listed if n not in known]
    assert not missing, f"README's Configuration table lacks {missing}"
    assert not unknown, f"README lists variables settings.py does not read: {unknown}"
    assert listed == known, "README's table is not in settings.VARIABLES' order"
    for var, row in zip(VARIABLES, rows):
        expected = f"| `{var.name}` | {var.doc} | {var.shown} |".replace("|  |", "| |")
        assert row == [f"`{var.name}`", var.doc, var.shown], f"README row should be:\n{expected}"


def test_literal_defaults_read_back_as_the_default() -> None:
    for var in VARIABLES:
        if var.default is None:
            continue
        if var.shown.endswith("iB"):  # sizes are shown in binary units
            assert _size(var.default) == var.shown, var.name
        else:
            assert var.parse(var.shown) == var.default, var.name


def _reads(path: Path) -> list[tuple[int, str, str]]:
    """(line, what, variable) for each environment read in a source file."""
    tree = ast.parse(path.read_text(), str(path))
    parents: dict[ast.AST, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    found: list[tuple[int, str, str]] = []

    def name_of(arg: ast.expr | None) -> str:
        if isinstance(arg, ast.Constant):
            return str(arg.value)
        return ast.unparse(arg) if arg is not None else "?"

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            for alias in node.names:
                if alias.name in ("environ", "getenv", "environb", "getenvb"):
                    found.append((node.lineno, f"from os import {alias.name}", "?"))
        if not isinstance(node, ast.Attribute) or not isinstance(node.value, ast.Name) \
                or node.value.id != "os":
            continue
        if node.attr in ("getenv", "getenvb"):
            call = parents.get(node)
            arg = call.args[0] if isinstance(call, ast.Call) and call.args else None
            found.append((node.lineno, f"os.{node.attr}", name_of(arg)))
        elif node.attr in ("environ", "environb"):
            up = parents.get(node)
            if isinstance(up, ast.Subscript):
                if isinstance(up.ctx, ast.Load):
                    found.append((node.lineno, "os.environ[...]", name_of(up.slice)))
            elif isinstance(up, ast.Attribute) and up.attr in ("setdefault", "pop"):
                continue  # a write (setdefault/pop configure other libraries)
            elif isinstance(up, ast.Attribute):
                call = parents.get(up)
                arg = call.args[0] if isinstance(call, ast.Call) and call.args else None
                found.append((node.lineno, f"os.environ.{up.attr}", name_of(arg)))
            else:
                found.append((node.lineno, "os.environ", ast.unparse(up) if up else "?"))
    return sorted(found)


def test_no_environment_reads_outside_settings() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel == "braintrust_otel/settings.py":
            continue
        for line, what, var in _reads(path):
            if (rel, var) not in ALLOWED_READS:
                offenders.append(f"{rel}:{line}: {what} ({var})")
    assert not offenders, ("read configuration through braintrust_otel.settings:\n"
                           + "\n".join(offenders))


def test_the_read_finder_finds_reads(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom os import getenv\na = os.environ.get('A')\n"
                      "b = os.environ['B']\nc = os.getenv('C')\nd = dict(os.environ)\n"
                      "os.environ['E'] = '1'\nos.environ.setdefault('F', '1')\n")
    assert [(line, var) for line, _, var in _reads(sample)] == [
        (2, "?"), (3, "A"), (4, "B"), (5, "C"), (6, "dict(os.environ)")]
