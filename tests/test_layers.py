"""The house rules, read from the source with `ast` (every import, including those inside functions and
under TYPE_CHECKING):

(a) the domains and the base layers never import the outer layers;
(b) no production module imports the demo (only `loa demo` itself does, lazily);
(c) aiogram stays in handlers/, bot/, sandbox/ and the one adapter module per messenger.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INNER = ("directory", "broadcasts", "reports", "archive", "outbox", "common", "storage", "config")
OUTER = frozenset({"handlers", "api", "bot", "demo", "sandbox", "bench"})
OUTER_RING = ("demo", "bench", "tests")  # may import anything; never imported by the service
AIOGRAM_HOMES = ("handlers", "bot", "sandbox")
# one adapter module per messenger; the next messenger adds its own here
MESSENGER_ADAPTERS = frozenset({"outbox/telegram.py"})
DEMO_ENTRY = ("bot/cli.py", "_cmd_demo")  # `loa demo` imports the demo inside its command only


@dataclass(frozen=True)
class Imported:
    module: str  # e.g. "bot/cli.py"
    name: str  # the imported module's dotted name
    function: str | None  # the enclosing function, None at module level
    line: int

    @property
    def top(self) -> str:
        return self.name.split(".")[0]


def _python_files() -> Iterator[Path]:
    """The project's own files: its top-level packages, never the virtualenv or build output."""
    for top in sorted(ROOT.iterdir()):
        if top.is_dir() and (top / "__init__.py").is_file():
            yield from sorted(top.rglob("*.py"))


def _imports(path: Path) -> Iterator[Imported]:
    rel = path.relative_to(ROOT).as_posix()
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)

    def visit(node: ast.AST, function: str | None) -> Iterator[Imported]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield Imported(rel, alias.name, function, child.lineno)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                yield Imported(rel, child.module, function, child.lineno)
            inner = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
            yield from visit(child, inner)

    yield from visit(tree, None)


@functools.cache
def _all_imports() -> tuple[Imported, ...]:
    return tuple(imp for path in _python_files() for imp in _imports(path))


def _in(module: str, packages: tuple[str, ...]) -> bool:
    return module.split("/")[0] in packages


def test_the_scan_sees_the_code() -> None:
    imports = _all_imports()
    modules = {i.module for i in imports}
    assert {"directory/tree.py", "handlers/archive.py", "bot/cli.py", "demo/run.py"} <= modules
    assert any((i.module, i.name, i.function) == ("bot/cli.py", "demo.run", "_cmd_demo") for i in imports)
    assert any(i.top == "aiogram" and i.function is not None for i in imports)  # lazy imports count


def test_inner_layers_never_import_outer_layers() -> None:
    bad = [
        f"{i.module}:{i.line} imports {i.name}"
        for i in _all_imports()
        if _in(i.module, INNER) and i.top in OUTER
    ]
    assert bad == []


def test_no_production_module_imports_the_demo() -> None:
    bad = [
        f"{i.module}:{i.line} imports {i.name}"
        for i in _all_imports()
        if i.top == "demo" and not _in(i.module, OUTER_RING) and (i.module, i.function) != DEMO_ENTRY
    ]
    assert bad == []


def test_aiogram_stays_in_the_messenger_layers() -> None:
    bad = [
        f"{i.module}:{i.line} imports {i.name}"
        for i in _all_imports()
        if i.top == "aiogram"
        and not _in(i.module, AIOGRAM_HOMES + OUTER_RING)
        and i.module not in MESSENGER_ADAPTERS
    ]
    assert bad == []


def test_every_listed_adapter_is_a_messenger_adapter() -> None:
    """An entry that no longer talks to the messenger must leave the list, so it cannot hide a new one."""
    imports = _all_imports()
    for module in MESSENGER_ADAPTERS:
        assert any(i.module == module and i.top == "aiogram" for i in imports), module
