"""
The following example takes pre-trained MiniLM v2 from
huggingface models repository and executes against STS benchmark dataset
on CPU and GroqChip1 through GroqFlow.

(Simulated node edition: accelsim stands in for the model and the GroqChip. The command line
and the constants are the real script's, groq/groqflow @ d7fef7e7: only -b/--build and
-e/--execute are accepted, through demo_helpers.args.parse_args; max_seq_length and the batch
size (the first dimension of the dummy inputs) are set here, where the course edits them.)
"""
import os

import groqflow  # noqa: F401  - the proof point needs the groqflow env
from demo_helpers.args import parse_args


def evaluate_minilm(rebuild_policy=None, should_execute=True):
    os.environ["TOKENIZERS_PARALLELISM"] = "false"

    # dummy inputs to generate the groq model
    max_seq_length = 128
    dummy_inputs = {
        "input_ids": (2, max_seq_length),
        "token_type_ids": (2, max_seq_length),
        "attention_mask": (2, max_seq_length),
    }

    # generate groq model, compute performance on CPU and GroqChip
    from accelsim.groq import minilm

    minilm(max_seq_length=max_seq_length, batch_size=dummy_inputs["input_ids"][0],
           rebuild=rebuild_policy, execute=should_execute)

    print(f"Proof point {__file__} finished!")


if __name__ == "__main__":
    evaluate_minilm(**parse_args())
