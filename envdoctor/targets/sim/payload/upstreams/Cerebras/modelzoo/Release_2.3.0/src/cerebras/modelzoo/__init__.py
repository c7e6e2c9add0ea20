"""Cerebras Model Zoo (Release 2.3.0)."""
__version__ = "2.3.0"
