"""envdoctor: set up and diagnose the software environments of AI accelerator testbeds."""

__version__ = "0.1.0"
