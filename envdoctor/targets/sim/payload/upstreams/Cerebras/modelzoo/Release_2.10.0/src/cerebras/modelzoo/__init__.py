"""Cerebras Model Zoo."""
__version__ = "2.10.0"
