# Copyright 2022 Cerebras Systems.
# Skeleton of the Cerebras Model Zoo setup.py (envdoctor simulated upstream): the metadata
# is in setup.cfg, and pip builds it with the in-tree backend named in pyproject.toml,
# which refuses a non-editable install exactly like the real setup.py.
from setuptools import setup

setup()
