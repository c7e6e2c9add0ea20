# Skeleton of groqflow's setup.py (envdoctor simulated upstream): the metadata is in setup.cfg.
from setuptools import setup

setup()
