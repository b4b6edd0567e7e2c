"""Every test in the workspace gets the real-server fixtures of govbus_testing.servers."""

pytest_plugins = ["govbus_testing.servers"]
