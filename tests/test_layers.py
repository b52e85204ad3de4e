"""The apps' layering (docs/architecture.md): each imports only the ones below it, and
none imports the project package `config`."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ABOVE = {
    "couples": {"rhythms", "practice", "signals", "web", "config"},
    "rhythms": {"practice", "signals", "web", "config"},
    "practice": {"signals", "web", "config"},
    "signals": {"web", "config"},
    "web": {"config"},
}


def imported(app: str) -> dict[str, set[str]]:
    found = {}
    for path in (ROOT / app).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = {node.module}
            else:
                continue
            found.setdefault(str(path.relative_to(ROOT)), set()).update(n.split(".")[0] for n in names)
    return found


@pytest.mark.parametrize("app", sorted(ABOVE))
def test_it_imports_nothing_from_above(app):
    upward = {path: names & ABOVE[app] for path, names in imported(app).items() if names & ABOVE[app]}
    assert upward == {}
