"""The package's imports point one way: down the pipeline, never back up, never in a circle.

    __main__, cli                        the command line: click code over the library
    report, privacy, project             the monthly report; keys, forget, export, retention;
                                         a new project (init) and its setup (doctor)
    print, desk                          the paper edition; the web service that listens
    engage                               readers as people: the welcome
    deliver                              the send (transports, ledger, personalization)
    cards                                the quarter's card: content and who gets it
    pipeline                             build, manifest, check, preview
    referrals                            the referral ledger, rewards, the thank-you roll
    render, audience, sources            pure renderers; who gets what; what goes in an issue
    config, model, errors and the small shared modules (fsutil, locks, csvfile, …)

A package may import its own modules and anything in a lower layer. The shared modules
at the bottom may import each other, as long as nothing imports each other in a circle:
neither two modules nor two packages (``config`` and ``images`` count as two units, so
``config.settings -> images -> config.validation`` is a circle even though no module is in
one). Imports only for type checking (``if TYPE_CHECKING:``) are left out: they never run.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "newsletter"
LAYERS = (
    ("__main__",),
    ("cli",),
    ("report", "privacy", "project"),
    ("print", "desk"),
    ("engage",),
    ("deliver",),
    ("cards",),
    ("pipeline",),
    ("referrals",),
    ("render", "audience", "sources"),
)
RANK = {unit: len(LAYERS) - depth for depth, units in enumerate(LAYERS) for unit in units}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def unit(module: str) -> str:
    """The package (or top-level module) under ``newsletter`` a module belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def rank(module: str) -> int:
    return RANK.get(unit(module), 0)


class _Imports(ast.NodeVisitor):
    def __init__(self) -> None:
        self.found: set[str] = set()

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", "")
        if name == "TYPE_CHECKING":
            for statement in node.orelse:
                self.visit(statement)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.found.update(a.name for a in node.names if a.name.startswith("newsletter."))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        assert node.level == 0, f"relative import of {node.module} (line {node.lineno})"
        if node.module and node.module.startswith("newsletter"):
            # ``from newsletter import errors`` imports the module newsletter.errors
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                self.found.add(submodule if submodule in MODULES else node.module)


MODULES = {module_name(path) for path in PACKAGE.rglob("*.py")}


def import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports, anywhere in it (function bodies too)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for path in sorted(PACKAGE.rglob("*.py")):
        visitor = _Imports()
        visitor.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        graph[module_name(path)] = visitor.found
    return graph


def package_graph(modules: dict[str, set[str]]) -> dict[str, set[str]]:
    """Package (or top-level module) -> the other packages its modules import."""
    graph: dict[str, set[str]] = defaultdict(set)
    for module, targets in modules.items():
        graph[unit(module)].update(unit(t) for t in targets if unit(t) != unit(module))
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every circle a depth-first walk of ``graph`` finds, each as the path that closes it."""
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                found.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def test_every_import_points_down_the_layers() -> None:
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        for target in targets
        if unit(target) != unit(module) and rank(target) >= rank(module) and rank(module) > 0
    )
    assert wrong == []


def test_the_shared_modules_at_the_bottom_import_nothing_above_them() -> None:
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        for target in targets
        if rank(module) == 0 and rank(target) > 0
    )
    assert wrong == []


def test_no_modules_import_each_other_in_a_circle() -> None:
    assert circles(import_graph()) == []


def test_no_packages_import_each_other_in_a_circle() -> None:
    assert circles(package_graph(import_graph())) == []


def test_a_circle_between_packages_is_found_where_no_module_is_in_one() -> None:
    modules = {
        "newsletter.config.settings": {"newsletter.images"},
        "newsletter.images": {"newsletter.config.validation"},
        "newsletter.config.validation": set(),
    }
    assert circles(modules) == []
    assert circles(package_graph(modules)) == [["config", "images", "config"]]


def test_every_package_has_a_layer() -> None:
    packages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    bottom = {"config", "skeleton"}  # with model.py, errors.py and the shared modules
    assert packages - set(RANK) - bottom == set()
