"""One module per authentication flow; each takes the running ``Services``."""
