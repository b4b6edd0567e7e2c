"""The architecture holds: services import only contracts and kit; kit and contracts stay below.

The same rules are in pyproject.toml as import-linter contracts (`lint-imports`); this test
also covers every service under services/ without listing it.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OWN = {"govbus_contracts", "govbus_kit", "govbus_gateway", "govbus_ops", "govbus_testing"}


def imported_modules(package_dir: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in package_dir.rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


def service_packages() -> list[Path]:
    return [p for p in ROOT.glob("services/*/src/*") if (p / "__init__.py").exists()]


def test_services_import_only_contracts_and_kit():
    services = {p.name for p in service_packages()}
    for package in service_packages():
        for path, names in imported_modules(package).items():
            others = (names & (services | OWN)) - {package.name, "govbus_contracts", "govbus_kit"}
            assert not others, f"{path} imports {sorted(others)}: a service may import only " \
                               f"govbus_contracts and govbus_kit"


def test_kit_does_not_import_the_gateway_or_services():
    for path, names in imported_modules(ROOT / "kit" / "src" / "govbus_kit").items():
        assert not names & {"govbus_gateway", "govbus_ops", "govbus_testing"}, path
        assert not any(n.startswith("govbus_") and n not in OWN for n in names), path


def test_import_linter_contracts_hold():
    result = subprocess.run([str(Path(sys.executable).parent / "lint-imports")], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


# --- tests and benchmarks use only what the repository holds ---------------------------

TEST_SOURCES = ("conftest.py", "tests", "bench", "services/*/tests", "gateway/tests",
                "kit/tests", "contracts/tests")
#: A relative path text that starts by climbing: whatever it names lies beside the checkout.
CLIMBING = ("../", "..\\")


def sources_of_tests_and_benchmarks() -> list[Path]:
    found: set[Path] = set()
    for pattern in TEST_SOURCES:
        for place in ROOT.glob(pattern):
            found.update([place] if place.is_file() else place.rglob("*.py"))
    return sorted(p for p in found if ".venv" not in p.parts)


def _climb_of_text(text: str) -> list[int]:
    """Successive level changes of a relative path text: '..' climbs, a name descends."""
    steps = []
    for part in text.replace("\\", "/").split("/"):
        if part == os.pardir:
            steps.append(1)
        elif part not in ("", os.curdir):
            steps.append(-1)
    return steps


def paths_leaving_the_repository(relative: str, source: str) -> list[str]:
    """Where a source under the repository (at ``relative``) reaches a path outside it.

    Follows paths derived from ``__file__`` (``Path(__file__)``, ``.resolve()``,
    ``.parent``, ``.parents[N]``, ``os.path.dirname``, ``/ ".."``, names bound to them) and
    counts how far above the file they climb; finds '..' and absolute paths given to
    ``Path``/``open``, and the names of data that lives beside a checkout.
    """
    top = len(Path(relative).parts)  # the file itself is level 0, the repository root `top`
    tree = ast.parse(source)
    names: dict[str, int] = {}
    problems: list[str] = []

    def level(node: ast.AST) -> int | None:
        if isinstance(node, ast.Name):
            return 0 if node.id == "__file__" else names.get(node.id)
        if isinstance(node, ast.Call):
            func = node.func
            fname = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if fname in ("Path", "PurePath", "abspath", "realpath", "fspath", "str") and node.args:
                return level(node.args[0])
            if fname in ("resolve", "absolute") and isinstance(func, ast.Attribute):
                return level(func.value)
            if fname == "dirname" and node.args:
                inner = level(node.args[0])
                return None if inner is None else inner + 1
            if fname in ("join", "joinpath") and (node.args or isinstance(func, ast.Attribute)):
                parts = list(node.args)
                if fname == "joinpath" and isinstance(func, ast.Attribute):
                    parts.insert(0, func.value)
                return along(parts[0], parts[1:])
            return None
        if isinstance(node, ast.Attribute) and node.attr == "parent":
            inner = level(node.value)
            return None if inner is None else inner + 1
        if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute)
                and node.value.attr == "parents" and isinstance(node.slice, ast.Constant)
                and isinstance(node.slice.value, int)):
            inner = level(node.value.value)
            return None if inner is None else inner + node.slice.value + 1
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            return along(node.left, [node.right])
        return None

    def along(start: ast.AST, rest: list[ast.expr]) -> int | None:
        current = level(start)
        if current is None:
            return None
        highest = current
        for part in rest:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                for step in _climb_of_text(part.value):
                    current += step
                    highest = max(highest, current)
            else:
                return highest if highest > top else None  # unknown part: only what we saw
        return highest if highest > top else current

    for node in sorted((n for n in ast.walk(tree) if isinstance(n, ast.Assign)),
                       key=lambda n: n.lineno):
        value = level(node.value)
        if value is not None:
            for target in node.targets:
                if isinstance(target, ast.Name):
                    names[target.id] = value
    docstrings = {id(n.value) for n in ast.walk(tree)
                  if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
    reported: set[int] = set()
    for node in ast.walk(tree):  # outer expressions first: one report per line
        where = f"{relative}:{getattr(node, 'lineno', '?')}"
        if (isinstance(node, (ast.Attribute, ast.Subscript, ast.BinOp, ast.Call))
                and node.lineno not in reported):
            climbed = level(node)
            if climbed is not None and climbed > top:
                reported.add(node.lineno)
                problems.append(f"{where}: {ast.unparse(node)} is outside the repository")
        if isinstance(node, ast.Call):
            func = node.func
            fname = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0] if node.args else None
            if (fname in ("Path", "open", "PurePath") and isinstance(first, ast.Constant)
                    and isinstance(first.value, str)
                    and (first.value.startswith(("/", "~")) or os.pardir in
                         first.value.replace("\\", "/").split("/"))):
                problems.append(f"{where}: {ast.unparse(node)} names a path outside the repository")
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and id(node) not in docstrings
                and node.value.startswith(CLIMBING)):
            problems.append(f"{where}: {node.value!r} climbs out of the repository")
    return sorted(set(problems))


def test_tests_and_benchmarks_read_nothing_outside_the_repository():
    own = Path(__file__).resolve()  # this file names such paths as examples, on purpose
    sources = [p for p in sources_of_tests_and_benchmarks() if p.resolve() != own]
    assert ROOT / "bench" / "search.py" in sources
    assert ROOT / "services" / "documents" / "tests" / "test_search_flow.py" in sources
    problems = [p for path in sources
                for p in paths_leaving_the_repository(str(path.relative_to(ROOT)),
                                                      path.read_text(encoding="utf-8"))]
    assert problems == [], "a user's clone has only the repository:\n" + "\n".join(problems)


@pytest.mark.parametrize(("relative", "source", "outside"), [
    ("services/documents/tests/test_x.py",
     'SEEDS = Path(__file__).resolve().parents[4] / "office" / "seeds"', True),
    ("services/documents/tests/test_x.py",
     'sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests"))', False),
    ("bench/search.py",
     'ROOT = Path(__file__).resolve().parent.parent\nSEEDS = ROOT.parent / "corpus"', True),
    ("bench/search.py",
     'ROOT = Path(__file__).resolve().parent.parent\nRESULTS = ROOT / "bench" / "results"', False),
    ("tests/test_x.py", 'DATA = Path(__file__).parent / ".." / ".." / "seeds"', True),
    ("tests/test_x.py", 'DATA = os.path.join(os.path.dirname(__file__), "..", "..", "x")', True),
    ("tests/test_x.py", 'DATA = os.path.join(os.path.dirname(__file__), "..", "bench")', False),
    ("tests/test_x.py", 'text = open("/srv/seeds/a.txt").read()', True),
    ("tests/test_x.py", 'where = "../" + "office/seeds"', True),
    ("tests/test_x.py", 'url = "/api/v1/documents/incoming"', False),
])
def test_the_check_finds_paths_leaving_the_repository(relative, source, outside):
    assert bool(paths_leaving_the_repository(relative, source)) is outside


def test_the_search_benchmark_finds_its_corpus_in_the_repository():
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "search.py"), "--help"],
                            cwd=ROOT, capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr
