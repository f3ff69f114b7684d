"""lvslite: the on-box IPVS agent. Standard library only on its core path (docs/design.md#rules)."""
__version__ = "0.1.0"
