"""govbus documents service: 公文处理 (incoming, outgoing, numbering, circulation, archive)."""
