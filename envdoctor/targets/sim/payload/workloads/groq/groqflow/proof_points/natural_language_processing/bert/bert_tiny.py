"""
BERT tiny fine-tuned on SST-2, evaluated through GroqFlow (simulated node edition:
accelsim stands in for the GroqChip; --max-seq-length replaces the constant).
"""
import argparse
import sys

import groqflow  # noqa: F401
import demo_helpers  # noqa: F401


def main(argv=None):
    parser = argparse.ArgumentParser(description="BERT tiny proof point")
    parser.add_argument("--max-seq-length", type=int, default=128)
    parser.add_argument("--rebuild", default=None)
    args = parser.parse_args(argv)
    from accelsim.groq import bert_tiny

    return bert_tiny(max_seq_length=args.max_seq_length, batch_size=1)


if __name__ == "__main__":
    sys.exit(main())
