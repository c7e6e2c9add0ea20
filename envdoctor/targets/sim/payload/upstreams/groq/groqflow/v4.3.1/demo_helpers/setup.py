from setuptools import setup

setup(
    name="groqflow-demo-helpers",
    version="0.2.0",
    description="Helpers for the GroqFlow proof points",
    packages=["demo_helpers"],
    python_requires=">=3.8",
)
