"""accelsim: the accelerator stand-in of envdoctor's simulated nodes.

Small CPU workloads that really compute (tiny models trained or evaluated on generated
data, deterministic for a given seed apart from the measured timings) and print each
platform's real log formats with the numbers they measured. Pure Python, no
dependencies, Python 3.8+, so that it installs into any env of a simulated node.

    accelsim.cerebras.fit(...)          cszoo fit / run.py CSX (bigram LM, AdamW)
    accelsim.graphcore.mnist(...)       mnist_poptorch.py (softmax regression, SGD)
    accelsim.groq.minilm(...) / bert_tiny(...)   proof points (embedding evaluation)
    accelsim.sambanova.compile(...) / run(...)   BERT-large compile (.pef) then data-parallel run
"""
from __future__ import annotations

__version__ = "0.1.0"
