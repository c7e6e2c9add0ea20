"""Fact collectors for the probe: one module per area (see envdoctor.probe)."""
