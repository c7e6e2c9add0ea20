"""The simulated node: a directory that stands in for one platform's node.

`builder.create()` makes it (layout, stand-in commands, wheelhouse, git upstreams, and with
`ready=True` the course's setup, really run); `faults` injects the classic mistakes on top.
See docs/internals.md ("The simulated node") for the layout this package implements.
"""
from __future__ import annotations
