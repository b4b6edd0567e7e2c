"""Cross-service tests: real servers from govbus_kit.testing, and the test-only plugins."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # the test-only plugins (govbus_testplugins)
