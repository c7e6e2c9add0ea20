"""
BERT tiny (M-FAC/bert-tiny-finetuned-sst2) evaluated on SST through GroqFlow, on CPU and GroqChip.

(Simulated node edition: accelsim stands in for the model and the GroqChip. The command line
and the constants are the real script's, groq/groqflow @ d7fef7e7: only -b/--build and
-e/--execute are accepted; batch_size and max_seq_length are set here.)
"""
import os

import groqflow  # noqa: F401
from demo_helpers.args import parse_args


def evaluate_bert_tiny(rebuild_policy=None, should_execute=True):
    os.environ["TOKENIZERS_PARALLELISM"] = "false"

    # dummy inputs to generate the groq model
    batch_size = 1
    max_seq_length = 128

    from accelsim.groq import bert_tiny

    bert_tiny(max_seq_length=max_seq_length, batch_size=batch_size, rebuild=rebuild_policy, execute=should_execute)

    print(f"Proof point {__file__} finished!")


if __name__ == "__main__":
    evaluate_bert_tiny(**parse_args())
