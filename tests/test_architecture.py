"""The architecture holds: services import only contracts and kit; kit and contracts stay below.

The same rules are in pyproject.toml as import-linter contracts (`lint-imports`); this test
also covers every service under services/ without listing it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OWN = {"govbus_contracts", "govbus_kit", "govbus_gateway"}


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
        if path.endswith("cli.py"):
            continue  # the command starts the gateway it serves; it imports it lazily
        assert "govbus_gateway" not in names, path
        assert not any(n.startswith("govbus_") and n not in OWN for n in names), path


def test_import_linter_contracts_hold():
    result = subprocess.run([str(Path(sys.executable).parent / "lint-imports")], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
