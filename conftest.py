"""Every test in the workspace gets the real-server fixtures of govbus_kit.testing."""

pytest_plugins = ["govbus_kit.testing"]
