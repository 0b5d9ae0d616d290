"""No import cycles among the modules of ``src/holistic``.

The graph is :func:`holistic.workflow.codedeps.module_imports` (the walk that gives the jobs' code
dependencies): an edge A -> B for every import of module B in A that runs, whether at module
level or in a function's body. A function-level import counts: it is a real dependency (A does
not work without B), only put off until the call; deferring it to dodge a cycle hides the cycle
without removing it. An import under ``if TYPE_CHECKING:`` never runs and does not count, and
neither do the parent packages Python runs first (importing ``a.b.c`` runs ``a.b/__init__``):
a package's ``__init__`` is a node of its own, an edge only where it is imported by name
(``from a.b import name``, with ``name`` not a module of ``a.b``).

Every cycle is reported: one per strongly connected component of the graph, as its shortest
cycle through the component's first module, each edge with the file and line of its import.
"""

from __future__ import annotations

from collections import deque

from holistic.workflow import codedeps


def import_graph(src=codedeps.SRC) -> dict[str, dict[str, codedeps.ImportStatement]]:
    """Module -> {imported module: the (first) statement importing it} over the running imports."""
    graph = {}
    for name in codedeps.holistic_modules(src):
        edges: dict[str, codedeps.ImportStatement] = {}
        for target, statement in codedeps.module_imports(name, src):
            if not statement.type_only and target != name:
                edges.setdefault(target, statement)
        graph[name] = edges
    return graph


def components(graph: dict[str, dict]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative), each sorted."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next((c for c in children if c in graph), None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        m = stack.pop()
                        on_stack.discard(m)
                        component.append(m)
                        if m == node:
                            break
                    if len(component) > 1:
                        out.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return sorted(out)


def shortest_cycle(graph: dict[str, dict], component: list[str]) -> list[str]:
    """The shortest cycle from ``component[0]`` back to it, within the component."""
    start, inside = component[0], set(component)
    previous = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(graph[node]):
            if child == start:
                path = [node]
                while previous[path[-1]] is not None:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if child in inside and child not in previous:
                previous[child] = node
                queue.append(child)
    raise AssertionError(f"no cycle through {start}")  # pragma: no cover: a component has one


def describe(graph: dict[str, dict], cycle: list[str], src=codedeps.SRC) -> str:
    lines = []
    for a, b in zip(cycle, cycle[1:]):
        st = graph[a][b]
        path = codedeps.module_path(a, src).relative_to(src.parent).as_posix()
        lines.append(f"  {a} -> {b}  ({path}:{st.line}{', in a function' if st.deferred else ''})")
    return "\n".join(lines)


def cycles_report(src=codedeps.SRC) -> list[str]:
    graph = import_graph(src)
    return [f"cycle of {len(c)} modules ({', '.join(c)}):\n{describe(graph, shortest_cycle(graph, c), src)}"
            for c in components(graph)]


def test_no_import_cycles_in_the_package():
    found = cycles_report()
    assert not found, f"{len(found)} import cycle(s) in src/holistic:\n" + "\n".join(found)


#: The trainer: the pieces (``holistic.objectives``, ``holistic.procedures``) must not import it; what
#: they share with it is in ``holistic.train.pieces``, which imports nothing of ``holistic``.
TRAINER = ("holistic.train.loop", "holistic.train.grid")


def test_the_pieces_never_import_the_trainer():
    assert not codedeps.module_imports("holistic.train.pieces")
    graph = import_graph()
    pieces = [m for m in graph if m.split(".")[:2] in (["holistic", "objectives"], ["holistic", "procedures"])]
    reach, todo = set(), list(pieces)
    while todo:  # everything the pieces' modules import, transitively
        for child in graph[todo.pop()]:
            if child not in reach:
                reach.add(child)
                todo.append(child)
    assert not reach & set(TRAINER), sorted(reach & set(TRAINER))


def test_cycles_through_function_level_imports_are_found_and_type_checking_ones_are_not(tmp_path):
    pkg = tmp_path / "src" / "holistic"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from .a import A\n")
    (pkg / "sub" / "a.py").write_text("from .b import f\nA = 1\n")
    (pkg / "sub" / "b.py").write_text("def f():\n    from . import a  # deferred: still a dependency\n")
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .d import x\n")
    (pkg / "d.py").write_text("from holistic import c\nx = 1\n")
    (pkg / "e.py").write_text("from .sub import A\n")  # the package __init__, named: an edge to it alone
    src = tmp_path / "src"
    graph = import_graph(src)
    assert graph["holistic.e"] == {"holistic.sub": graph["holistic.e"]["holistic.sub"]}
    assert "holistic.d" not in graph["holistic.c"]
    assert components(graph) == [["holistic.sub.a", "holistic.sub.b"]]
    [report] = cycles_report(src)
    assert "holistic.sub.a -> holistic.sub.b  (src/holistic/sub/a.py:1)" in report
    assert "holistic.sub.b -> holistic.sub.a  (src/holistic/sub/b.py:2, in a function)" in report
