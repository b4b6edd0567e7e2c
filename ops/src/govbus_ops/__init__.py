"""govbus operator's tool: the ``govbus`` command and the local servers."""
