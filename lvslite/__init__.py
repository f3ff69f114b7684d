"""lvslite: the on-box IPVS agent. Standard library only on its core path (DESIGN.md §2)."""
__version__ = "0.1.0"
