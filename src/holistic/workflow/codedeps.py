"""Code dependencies from the import graph: the files whose edit must rerun a job.

An ``ast`` walk of a stage script and of every ``holistic`` module it imports, transitively
(absolute and relative imports, at any depth in the module, ``from pkg import mod`` included),
plus the ``__init__.py`` of every package on the way (Python runs them on import).

Registries are indexes, not code a job runs: the ``__init__`` of ``holistic.studies`` and of
the piece registries (``holistic.models``, ``holistic.objectives``, ``holistic.procedures``,
``holistic.train.optimizers``)
is not followed. A job instead depends on the modules of what it uses: its study's package
and the modules defining its method's pieces (``extra`` below). So registering a new study
or a new piece reruns nothing that existed; editing a piece reruns the jobs of the methods
that use it. The workflow spec itself (``holistic.workflow``, and modules importing it, such
as a study's ``stages.py``) describes jobs and runs in none: editing it changes the rules
(Snakemake's ``code`` trigger, DVC's ``cmd``), not the code dependencies.

The same walk (:func:`import_statements`: each import with where it runs, on import, in a
function or never) gives the import graph of the package (:func:`module_imports`) that the
layering and import-cycle tests read (``tests/workflow``).
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path

from ..config import ROOT

SRC = ROOT / "src"
PACKAGE = "holistic"
REGISTRIES = frozenset({"holistic.studies", "holistic.models", "holistic.objectives", "holistic.procedures",
                        "holistic.train.optimizers"})
SPEC = "holistic.workflow"


def module_path(name: str, src: Path = SRC) -> Path | None:
    """The file of module ``name`` under ``src`` (a package's ``__init__.py``), or None."""
    base = src.joinpath(*name.split("."))
    for path in (base / "__init__.py", base.with_suffix(".py")):
        if path.is_file():
            return path
    return None


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


@dataclass(frozen=True)
class ImportStatement:
    """One module named by an import statement: ``import base`` (``names`` empty) or ``from base
    import names`` (relative imports resolved; ``*`` left out of ``names``), at ``line``.
    ``deferred``: in a function's body (it runs when the function is called, not on import);
    ``type_only``: under ``if TYPE_CHECKING:`` (it never runs)."""

    base: str
    names: tuple[str, ...]
    line: int
    deferred: bool
    type_only: bool


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _contexts(tree: ast.AST) -> tuple[set[int], set[int]]:
    """The ids of the nodes in a function's body and of those under ``if TYPE_CHECKING:``."""
    deferred: set[int] = set()
    type_only: set[int] = set()

    def visit(node: ast.AST, in_function: bool, in_type_checking: bool) -> None:
        for child in ast.iter_child_nodes(node):
            f = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            t = in_type_checking or (isinstance(node, ast.If) and _is_type_checking(node.test) and child in node.body)
            if f:
                deferred.add(id(child))
            if t:
                type_only.add(id(child))
            visit(child, f, t)

    visit(tree, False, False)
    return deferred, type_only


@functools.lru_cache(maxsize=None)
def import_statements(path: Path, name: str | None) -> tuple[ImportStatement, ...]:
    """Every import of ``path`` (module ``name``; None for a script, whose relative imports are
    left out), at any depth, in the order of ``ast.walk``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    deferred, type_only = _contexts(tree)
    package = None
    if name is not None:
        package = name if _is_package(path) else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        where = {"line": node.lineno, "deferred": id(node) in deferred, "type_only": id(node) in type_only}
        if isinstance(node, ast.Import):
            found += [ImportStatement(a.name, (), **where) for a in node.names]
        else:
            if node.level:
                if package is None:
                    continue
                parts = package.split(".")
                if node.level > 1:
                    parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found.append(ImportStatement(base, tuple(a.name for a in node.names if a.name != "*"), **where))
    return tuple(found)


@functools.lru_cache(maxsize=None)
def _imports(path: Path, name: str | None) -> tuple[str, ...]:
    """Names of the modules ``path`` (module ``name``; None for a script) may import: each
    statement's ``base`` and, for ``from base import x``, ``base.x`` (a module or not)."""
    found = []
    for statement in import_statements(path, name):
        found.append(statement.base)
        found += [f"{statement.base}.{n}" for n in statement.names]
    return tuple(found)


def _parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def imports_spec(name: str, src: Path = SRC) -> bool:
    """Whether module ``name`` is workflow spec: in ``holistic.workflow`` or importing it."""
    if name == SPEC or name.startswith(SPEC + "."):
        return True
    path = module_path(name, src)
    return path is not None and any(m == SPEC or m.startswith(SPEC + ".") for m in _imports(path, name))


def code_deps(script: str | Path | None, extra: tuple[str, ...] = (), root: Path = ROOT) -> list[str]:
    """Files (relative to ``root``, sorted) a job running ``script`` executes.

    ``extra``: further ``holistic`` modules the job uses through a registry (its study's
    package, its pieces' modules); they are walked like imports."""
    src = root / "src"
    files: set[Path] = set()
    todo: list[str] = []
    if script is not None:
        script = root / script
        files.add(script)
        todo += list(_imports(script, None))
    todo += list(extra)
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen or not (name == PACKAGE or name.startswith(PACKAGE + ".")):
            continue
        seen.add(name)
        if (name in REGISTRIES and name not in extra) or imports_spec(name, src):
            continue
        path = module_path(name, src)
        if path is None:  # `from pkg import function`: not a module
            continue
        files.add(path)
        todo += [p for p in _parents(name) if p not in REGISTRIES]
        todo += list(_imports(path, name))
    return sorted(p.relative_to(root).as_posix() for p in files)


def holistic_modules(src: Path = SRC) -> list[str]:
    """Every module of the package, by dotted name."""
    out = []
    for path in sorted((src / PACKAGE).rglob("*.py")):
        rel = path.relative_to(src).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out.append(".".join(parts))
    return out


def direct_imports(name: str, src: Path = SRC) -> list[str]:
    """The ``holistic`` modules and names ``name`` imports (for the layering test)."""
    path = module_path(name, src)
    return sorted({m for m in _imports(path, name) if m == PACKAGE or m.startswith(PACKAGE + ".")})


def module_imports(name: str, src: Path = SRC) -> list[tuple[str, ImportStatement]]:
    """The ``holistic`` modules ``name`` imports, each with its statement: ``import a.b`` and
    ``from a import b`` (``b`` a module) name module ``a.b``; ``from a import f`` (``f`` not a
    module) names module ``a``. The parent packages Python runs first are not listed (a package's
    ``__init__`` is a module of its own here, imported where it is named)."""
    path = module_path(name, src)
    out = []
    for statement in import_statements(path, name):
        targets = [f"{statement.base}.{n}" for n in statement.names]
        modules = [t for t in targets if module_path(t, src) is not None]
        if len(modules) < len(targets) or not targets:  # some names are not modules: from the base
            modules.append(statement.base)
        out += [(m, statement) for m in dict.fromkeys(modules)
                if (m == PACKAGE or m.startswith(PACKAGE + ".")) and module_path(m, src) is not None]
    return out
