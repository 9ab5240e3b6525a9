"""The import contract, read from the source with :mod:`ast` (nothing is imported or executed).

A :class:`Contract` names the layers from the bottom up and the package map (module prefix →
layer); :func:`violations` lists every breach as ``file:line: what``. The rules
(docs/architecture.md, "Layers"):

- **arrows down only**: a module may import its own layer and the ones below it;
- **routers are wired by the app factory only**: a module that defines a FastAPI ``APIRouter``
  is web layer wherever it sits, and only the app factories import it;
- **no private name across packages**: ``from x.y import _z`` only from within x.y's own package;
- **no cycles**: module-level and function-level imports are both edges, so a cycle cannot be
  hidden by moving an import into a function;
- **independence**: a package may be forbidden whole packages (the systems never import ``idp``).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Contract:
    roots: tuple[str, ...]  # top-level packages to read, relative to the project root
    layers: tuple[str, ...]  # bottom first
    # module or package → layer, the longest prefix wins; a top-level package's entry covers its
    # own __init__ only, so that every module below it must be listed
    package_map: dict[str, str]
    router_layer: str  # every router module is in this layer
    app_factories: frozenset[str]  # modules allowed to import router modules
    forbidden: dict[str, tuple[str, ...]] = field(default_factory=dict)  # package → never imports


@dataclass(frozen=True)
class Edge:
    importer: str
    target: str  # a module of the tree
    names: tuple[str, ...]  # names taken from the target ("" for a plain import)
    path: Path
    line: int


@dataclass
class Module:
    name: str
    path: Path
    is_package: bool
    defines_router: bool = False
    raw_imports: list[tuple[str, tuple[str, ...], int]] = field(default_factory=list)

    @property
    def package(self) -> str:
        return self.name if self.is_package else self.name.rpartition(".")[0]


def read_tree(root: Path, contract: Contract) -> dict[str, Module]:
    modules: dict[str, Module] = {}
    for top in contract.roots:
        for path in sorted((root / top).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            name = ".".join(parts[:-1] if is_package else parts)
            module = Module(name, path.relative_to(root), is_package)
            modules[name] = _read_module(module, path.read_text(encoding="utf-8"))
    return modules


def _read_module(module: Module, source: str) -> Module:
    tree = ast.parse(source, str(module.path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "APIRouter":
            module.defines_router = True
        elif isinstance(node, ast.Import):
            for alias in node.names:
                module.raw_imports.append((alias.name, ("",), node.lineno))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the importer's package
                anchor = module.package.split(".")[: len(module.package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            module.raw_imports.append((base, tuple(alias.name for alias in node.names), node.lineno))
    return module


def edges_of(modules: dict[str, Module]) -> list[Edge]:
    """Each import resolved to the module of the tree it loads: ``from p import m`` is module
    p.m when that exists, else package p."""
    edges = []
    for module in modules.values():
        for base, names, line in module.raw_imports:
            by_target: dict[str, list[str]] = {}
            for name in names:
                target = _resolve(modules, f"{base}.{name}" if name else base)
                if target is not None and target != module.name:
                    by_target.setdefault(target, []).append(name)
            edges += [Edge(module.name, target, tuple(taken), module.path, line) for target, taken in by_target.items()]
    return edges


def _resolve(modules: dict[str, Module], dotted: str) -> str | None:
    while dotted and dotted not in modules:
        dotted = dotted.rpartition(".")[0]
    return dotted or None


def layer_of(module: Module, contract: Contract) -> str | None:
    if module.defines_router:
        return contract.router_layer
    prefixes = [p for p in contract.package_map
                if module.name == p or ("." in p and module.name.startswith(p + "."))]
    return contract.package_map[max(prefixes, key=len)] if prefixes else None


def violations(root: Path, contract: Contract) -> list[str]:
    modules = read_tree(root, contract)
    edges = edges_of(modules)
    found = _unmapped(modules, contract) + _forbidden(modules, contract)
    for edge in edges:
        found += _upward(edge, modules, contract) + _router(edge, modules, contract) + _private(edge, modules)
    return found + _cycles(edges)


def _unmapped(modules: dict[str, Module], contract: Contract) -> list[str]:
    mapped_roots = {p.split(".")[0] for p in contract.package_map}
    return [f"{m.path}:1: {m.name} has no layer in the package map"
            for m in modules.values() if m.name.split(".")[0] in mapped_roots and layer_of(m, contract) is None]


def _forbidden(modules: dict[str, Module], contract: Contract) -> list[str]:
    """Package-level bans (``forbidden``: a dotted prefix → the prefixes it must never import),
    whatever layer single modules of the package have."""
    found = []
    for module in modules.values():
        banned = [b for p, bans in contract.forbidden.items() if _within(module.name, p) for b in bans]
        for base, _names, line in module.raw_imports:
            if any(_within(base, b) for b in banned):
                found.append(f"{module.path}:{line}: {module.name} imports {base}, which it must never import")
    return found


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _upward(edge: Edge, modules: dict[str, Module], contract: Contract) -> list[str]:
    low, high = layer_of(modules[edge.importer], contract), layer_of(modules[edge.target], contract)
    if low is None or high is None or contract.layers.index(high) <= contract.layers.index(low):
        return []
    return [f"{edge.path}:{edge.line}: {edge.importer} ({low}) imports {edge.target} ({high}), a higher layer"]


def _router(edge: Edge, modules: dict[str, Module], contract: Contract) -> list[str]:
    if not modules[edge.target].defines_router or edge.importer in contract.app_factories:
        return []
    return [f"{edge.path}:{edge.line}: {edge.importer} imports the router module {edge.target}; "
            "only the app factory may"]


def _private(edge: Edge, modules: dict[str, Module]) -> list[str]:
    own = modules[edge.importer].package
    if edge.target == own or edge.target.startswith(own + "."):
        return []
    private = [n for n in edge.names if n.startswith("_") and not n.startswith("__")]
    return [f"{edge.path}:{edge.line}: {edge.importer} imports the private name {name} from {edge.target}, "
            "another package" for name in private]


def _cycles(edges: list[Edge]) -> list[str]:
    """Every strongly connected component of more than one module, with the edges inside it."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.importer, set()).add(edge.target)
    found = []
    for component in _components(graph):
        inside = sorted({f"{e.path}:{e.line} ({e.importer} → {e.target})" for e in edges
                         if e.importer in component and e.target in component})
        found.append(f"import cycle among {', '.join(sorted(component))}: " + "; ".join(inside))
    return found


def _components(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative (no recursion limit on a long chain)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(component)
    return components
