# Skeleton of groqflow demo_helpers' setup.py (envdoctor simulated upstream): the metadata is in setup.cfg.
from setuptools import setup

setup()
