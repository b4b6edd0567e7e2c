"""Fail points for fault-injection tests (the idea of TiKV's fail-rs).

``GOVBUS_FAULTS="outbox.after_state_write=kill"`` makes the process kill itself with
SIGKILL when it reaches that point, exactly as ``kill -9`` from outside would, so a test can
prove that nothing acknowledged is lost between two steps. Unset in production: each point
costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

_ACTIONS: dict[str, str] = {}
for _item in filter(None, os.environ.get("GOVBUS_FAULTS", "").split(",")):
    _name, _, _action = _item.partition("=")
    _ACTIONS[_name.strip()] = _action.strip() or "kill"


def point(name: str) -> None:
    action = _ACTIONS.get(name)
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif action == "raise":
        raise RuntimeError(f"fault injected at {name}")
