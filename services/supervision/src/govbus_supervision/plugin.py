"""Wiring: importing the handler modules binds them to ``service`` (the handlers come with
the next part of issue 13; the contract and the domain are here).

Entry point ``supervision = "govbus_supervision.plugin:service"`` (group ``govbus.services``).
"""

from __future__ import annotations

from govbus_supervision.service import service

__all__ = ["service"]
