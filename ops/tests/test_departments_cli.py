"""`govbus departments`: a department's code and its NATS user, by the operator's file.
Run as the operator runs it, in a process of its own (the command configures logging)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from govbus_kit.departments import derived_code, nats_user_block


def govbus(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "govbus_ops.cli", *args], env={
        **os.environ, **env}, capture_output=True, text=True, timeout=60)


def operator_file(tmp_path: Path, codes: dict[str, str]) -> dict[str, str]:
    path = tmp_path / "departments.json"
    path.write_text(json.dumps(codes, ensure_ascii=False), encoding="utf-8")
    return {"GOVBUS_DEPARTMENTS_FILE": str(path)}


def test_code_is_the_files_or_derived_from_the_name(tmp_path: Path):
    env = operator_file(tmp_path, {"财政局": "czj"})
    named = govbus(env, "departments", "code", "财政局")
    assert (named.returncode, named.stdout.strip()) == (0, "czj")
    derived = govbus(env, "departments", "code", "教育局")
    assert (derived.returncode, derived.stdout.strip()) == (0, derived_code("教育局"))
    assert "derived from the name" in derived.stderr


def test_nats_user_prints_the_block_for_accounts_conf(tmp_path: Path):
    env = operator_file(tmp_path, {"财政局": "czj"})
    result = govbus(env, "departments", "nats-user", "财政局")
    assert result.returncode == 0
    assert result.stdout == nats_user_block("财政局", "czj")
    assert "GOVBUS_NATS_PW_DEPT_CZJ" in result.stderr


def test_a_file_that_mixes_departments_up_is_said_and_nothing_printed(tmp_path: Path):
    env = operator_file(tmp_path, {"财政局": "czj", "发改委": "czj"})
    result = govbus(env, "departments", "code", "财政局")
    assert result.returncode == 2 and result.stdout == ""
    assert "share code 'czj'" in result.stderr
