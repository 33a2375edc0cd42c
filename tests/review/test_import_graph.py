"""The site's modules import each other without a circle: each layer (models, services, selectors, jobs, views)
can be read, tested and changed from the bottom up. Every import counts, those inside functions too, so a
circle cannot hide behind a function-local import."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def import_graph(package: Path) -> dict[str, set[str]]:
    """Module name -> the modules of `package` it imports (anywhere in its body), migrations left out."""
    modules = {}
    for path in package.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(package.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path

    def module_of(name: str) -> str:  # "review.models.Job" -> "review.models"
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name

    graph = {}
    for name, path in modules.items():
        imported = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                imported |= {module_of(alias.name) for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported |= {module_of(f"{node.module}.{alias.name}") for alias in node.names}
        graph[name] = imported - {name, ""}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles (strongly connected components of more than one module), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while (top := stack.pop()) != node:
                component.append(top)
            if component:
                found.append(sorted([node, *component]))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_site_has_no_import_cycle():
    graph = import_graph(ROOT / "review")
    assert "review.jobs.runner" in graph and "review.services.variants" in graph["review.jobs.kinds.convert"]
    assert cycles(graph) == [], "modules of review/ that import each other in a circle"


def test_the_job_runner_knows_no_job_kind():
    graph = import_graph(ROOT / "review")
    assert not {m for m in graph["review.jobs.runner"] if m.startswith("review.jobs.kinds")}


def test_a_circle_through_a_function_local_import_is_found(tmp_path):
    package = tmp_path / "site"
    (package / "services").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "services" / "__init__.py").write_text("")
    (package / "services" / "a.py").write_text("from site.services.b import thing\n")
    (package / "services" / "b.py").write_text("def thing():\n    from site.services import a\n")
    (package / "c.py").write_text("import site.services.a\n")
    assert cycles(import_graph(package)) == [["site.services.a", "site.services.b"]]
