# Copyright 2022 Cerebras Systems.
# Skeleton of the Cerebras Model Zoo setup.py (envdoctor simulated upstream).
import os

from setuptools import find_namespace_packages, setup
from setuptools.command.bdist_wheel import bdist_wheel

VERSION = "2.10.0"


class RefuseNonEditable(bdist_wheel):
    """The model zoo must be installed in editable mode, exactly like the real setup.py says."""

    def run(self):
        raise RuntimeError(
            "The package `cerebras_modelzoo` is not a mountable package on the appliance since it is "
            "not available in PyPI. It must be installed as an editable package using:\n"
            f"    pip install --editable {os.path.dirname(os.path.abspath(__file__))}"
        )


setup(
    name="cerebras_modelzoo",
    version=VERSION,
    description="Cerebras Model Zoo",
    python_requires=">=3.8",
    package_dir={"": "src"},
    packages=find_namespace_packages(where="src", include=["cerebras.*"]),
    include_package_data=True,
    install_requires=["cerebras_pytorch==" + VERSION],
    entry_points={"console_scripts": ["cszoo = cerebras.modelzoo.cli.main:main"]},
    cmdclass={"bdist_wheel": RefuseNonEditable},
)
