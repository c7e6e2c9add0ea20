# Skeleton of groqflow's setup.py (envdoctor simulated upstream).
from setuptools import setup

with open("groqflow/version.py", encoding="utf-8") as fp:
    version = fp.read().split('"')[1]

setup(
    name="groqflow",
    version=version,
    description="GroqFlow provides an automated tool flow for compiling machine learning models onto GroqChip",
    author="Groq",
    license="MIT",
    packages=["groqflow"],
    # On a GroqRack node the GroqChip runtime comes with GroqWare; on the simulated node
    # accelsim plays the chip.
    install_requires=["accelsim"],
    python_requires=">=3.8, <3.11",
)
