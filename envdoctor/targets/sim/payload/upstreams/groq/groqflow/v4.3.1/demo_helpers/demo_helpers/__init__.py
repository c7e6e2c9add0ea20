"""Helpers shared by the GroqFlow proof points."""
