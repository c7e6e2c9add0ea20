"""GroqFlow (envdoctor simulated upstream)."""
from groqflow.version import __version__  # noqa: F401
