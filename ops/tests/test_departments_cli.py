"""`govbus departments`: a department's code and its NATS user, by the operator's file."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from govbus_kit.departments import derived_code, nats_user_block
from govbus_ops.cli import app

runner = CliRunner()


def operator_file(tmp_path: Path, codes: dict[str, str]) -> dict[str, str]:
    path = tmp_path / "departments.json"
    path.write_text(json.dumps(codes, ensure_ascii=False), encoding="utf-8")
    return {"GOVBUS_DEPARTMENTS_FILE": str(path)}


def test_code_is_the_files_or_derived_from_the_name(tmp_path: Path):
    env = operator_file(tmp_path, {"财政局": "czj"})
    named = runner.invoke(app, ["departments", "code", "财政局"], env=env)
    assert (named.exit_code, named.stdout.strip()) == (0, "czj")
    derived = runner.invoke(app, ["departments", "code", "教育局"], env=env)
    assert (derived.exit_code, derived.stdout.strip()) == (0, derived_code("教育局"))
    assert "derived from the name" in derived.stderr


def test_nats_user_prints_the_block_for_accounts_conf(tmp_path: Path):
    env = operator_file(tmp_path, {"财政局": "czj"})
    result = runner.invoke(app, ["departments", "nats-user", "财政局"], env=env)
    assert result.exit_code == 0
    assert result.stdout == nats_user_block("财政局", "czj")
    assert "GOVBUS_NATS_PW_DEPT_CZJ" in result.stderr


def test_a_file_that_mixes_departments_up_is_said_and_nothing_printed(tmp_path: Path):
    env = operator_file(tmp_path, {"财政局": "czj", "发改委": "czj"})
    result = runner.invoke(app, ["departments", "code", "财政局"], env=env)
    assert result.exit_code == 2 and result.stdout == ""
    assert "share code 'czj'" in result.stderr
