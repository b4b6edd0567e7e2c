"""The architecture holds: services import only contracts and kit; kit and contracts stay below.

The same rules are in pyproject.toml as import-linter contracts (`lint-imports`); this test
also covers every service under services/ without listing it.
"""

from __future__ import annotations

import ast
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
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
    """A service's route table (its ``routes.py``, the gateway's entry point, loaded only by
    the gateway) may also use the gateway's route helpers; nothing else of it does."""
    services = {p.name for p in service_packages()}
    for package in service_packages():
        for path, names in imported_modules(package).items():
            allowed = {package.name, "govbus_contracts", "govbus_kit"}
            if path.endswith(f"{package.name}/routes.py"):
                allowed.add("govbus_gateway")
            others = (names & (services | OWN)) - allowed
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


# --- a service plugs in by entry points alone --------------------------------------------

#: A service distribution written from scratch in a temporary directory: its contract, its
#: route table and its handlers, each named by an entry point, and nothing else.
THROWAWAY = {
    "govbus_throwaway/__init__.py": '"""A service that lives only in a test\'s directory."""\n',
    "govbus_throwaway/contract.py": '''
from pydantic import Field

from govbus_contracts import Query, Reply, ServiceContract

CONTRACT = ServiceContract("throwaway", "a service installed by the architecture test")


class Echo(Query):
    text: str = Field(min_length=1, max_length=100)


class Echoed(Reply):
    text: str
    service: str


ECHO = CONTRACT.query("echo", Echo, Echoed, "echo the text back")
''',
    "govbus_throwaway/routes.py": '''
from govbus_gateway.routing import route
from govbus_throwaway.contract import ECHO

ROUTES = [route(ECHO, "GET", "/throwaway/echo", public=True)]
''',
    "govbus_throwaway/plugin.py": '''
from govbus_kit.service import QueryContext, Service
from govbus_throwaway.contract import CONTRACT, ECHO, Echo, Echoed

service = Service(CONTRACT)


@service.query(ECHO)
async def echo(query: Echo, ctx: QueryContext) -> Echoed:
    return Echoed(text=query.text, service=ctx.service.service.name)
''',
    "govbus_throwaway-0.1.0.dist-info/METADATA":
        "Metadata-Version: 2.1\nName: govbus-throwaway\nVersion: 0.1.0\n",
    "govbus_throwaway-0.1.0.dist-info/entry_points.txt": """
[govbus.contracts]
throwaway = govbus_throwaway.contract:CONTRACT

[govbus.routes]
throwaway = govbus_throwaway.routes:ROUTES

[govbus.services]
throwaway = govbus_throwaway.plugin:service
""",
}

#: Stand-ins that make a distribution look uninstalled (shadowing the real one on the path).
NOT_INSTALLED = 'raise ImportError("{name} is not installed here")\n'


@pytest.fixture
def throwaway(tmp_path):
    """The throwaway distribution's directory, ready for PYTHONPATH."""
    site = tmp_path / "site"
    for relative, text in THROWAWAY.items():
        (site / relative).parent.mkdir(parents=True, exist_ok=True)
        (site / relative).write_text(text.lstrip("\n"), encoding="utf-8")
    return site


def _env(*path: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in path), **extra}


def _without(tmp_path: Path, *packages: str) -> Path:
    """A directory whose packages shadow ``packages`` with an ImportError."""
    shadow = tmp_path / "shadow"
    for name in packages:
        (shadow / name).mkdir(parents=True, exist_ok=True)
        (shadow / name / "__init__.py").write_text(NOT_INSTALLED.format(name=name))
    return shadow


def _python(code: str, env: dict[str, str], cwd: Path) -> str:
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_new_service_is_listed_with_its_contract_by_installing_it(throwaway, tmp_path):
    env = _env(throwaway)
    listing = subprocess.run([sys.executable, "-m", "govbus_ops.cli", "contracts", "list"],
                             env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
                             check=False)
    assert listing.returncode == 0, listing.stderr
    assert "throwaway  stream GOV_THROWAWAY" in listing.stdout
    assert "  gov.throwaway.qry.echo.v1" in listing.stdout
    assert "documents  stream GOV_DOCUMENTS" in listing.stdout  # the office's, as before
    found = _python("from govbus_kit import plugins; print(sorted(plugins.installed()))",
                    env, tmp_path)
    assert "'throwaway'" in found


def test_a_new_service_has_its_routes_in_the_gateways_openapi(throwaway, tmp_path):
    code = ("import json; from govbus_gateway.app import create_app; "
            "from govbus_gateway.settings import GatewaySettings; "
            "print(json.dumps(create_app(GatewaySettings(), secret='s' * 40)"
            ".openapi()['paths']))")
    paths = json.loads(_python(code, _env(throwaway), tmp_path))
    assert paths["/api/v1/throwaway/echo"]["get"]["operationId"] == "echo"
    assert "/api/v1/documents/incoming" in paths


def _wait(check: Callable[[], bool], process: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + 90
    while not check():
        if process.poll() is not None:
            raise AssertionError(f"{what} ended: {process.stderr.read() if process.stderr else ''}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not reached in 90 s")
        time.sleep(0.3)


def _stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _healthy(env: dict[str, str], cwd: Path) -> bool:
    result = subprocess.run([sys.executable, "-m", "govbus_ops.cli", "health", "throwaway"],
                            env=env, cwd=cwd, capture_output=True, text=True, timeout=60,
                            check=False)
    return result.returncode == 0


@pytest.mark.servers
def test_govbus_run_serves_a_new_service_and_its_routes(throwaway, tmp_path, servers):
    from govbus_ops.infra import free_port

    port = free_port()
    env = _env(throwaway, GOVBUS_NATS_URL=servers.nats_url, GOVBUS_MONGO_URL=servers.mongo_url,
               GOVBUS_VAR_DIR=str(tmp_path / "var"), GOVBUS_GATEWAY_PORT=str(port),
               GOVBUS_LOG_LEVEL="WARNING")
    process = subprocess.Popen([sys.executable, "-m", "govbus_ops.cli", "run", "throwaway"],
                               env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/api/v1/throwaway/echo"
    answers: list[Any] = []

    def answered() -> bool:
        try:
            response = httpx.get(url, params={"text": "你好"}, timeout=5)
        except httpx.TransportError:
            return False
        answers.append(response)
        return True

    try:
        _wait(answered, process, "govbus run throwaway")
    finally:
        _stop(process)
    assert answers[-1].status_code == 200, answers[-1].text
    assert answers[-1].json() == {"text": "你好", "service": "throwaway"}


@pytest.mark.servers
@pytest.mark.parametrize(("command", "absent"), [
    (["-m", "govbus_ops.cli", "run", "throwaway", "--no-gateway"], ("govbus_gateway",)),
    (["-m", "govbus_kit.serve", "throwaway"], ("govbus_gateway", "govbus_ops")),
])
def test_services_run_without_the_gateway_installed(throwaway, tmp_path, servers, command,
                                                     absent):
    """A services-only install (contracts, kit, a service): no gateway, no operator's tool."""
    env = _env(_without(tmp_path, *absent), throwaway, GOVBUS_NATS_URL=servers.nats_url,
               GOVBUS_MONGO_URL=servers.mongo_url, GOVBUS_VAR_DIR=str(tmp_path / "var"),
               GOVBUS_LOG_LEVEL="WARNING")
    assert "is not installed here" in subprocess.run(
        [sys.executable, "-c", f"import {absent[0]}"], env=env, cwd=tmp_path,
        capture_output=True, text=True, check=False).stderr
    process = subprocess.Popen([sys.executable, *command], env=env, cwd=tmp_path,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    probe = _env(throwaway, GOVBUS_NATS_URL=servers.nats_url)
    try:
        _wait(lambda: _healthy(probe, tmp_path), process, " ".join(command))
    finally:
        _stop(process)
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""


def test_the_test_only_services_are_no_entry_points():
    """`govbus run` without names hosts every installed service and `make contracts` exports
    every installed contract: the test-only services must be neither."""
    from importlib.metadata import entry_points

    from govbus_contracts.registry import GROUP as CONTRACTS
    from govbus_gateway.routes import GROUP as ROUTES
    from govbus_kit.plugins import GROUP as SERVICES

    for group in (CONTRACTS, ROUTES, SERVICES):
        declared = {ep.value for ep in entry_points(group=group)}
        assert declared, group
        assert not [v for v in declared if v.startswith("govbus_testplugins")], group
