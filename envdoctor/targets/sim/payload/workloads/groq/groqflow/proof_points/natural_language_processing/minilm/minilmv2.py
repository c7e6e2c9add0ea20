"""
The following example takes pre-trained MiniLM v2 and executes it against a sentence
similarity benchmark through GroqFlow (simulated node edition: accelsim stands in for
the GroqChip; --max-seq-length and --batch-size replace the constants of the original).
"""
import argparse
import sys

import groqflow  # noqa: F401  - the proof point needs the groqflow env
import demo_helpers  # noqa: F401


def main(argv=None):
    parser = argparse.ArgumentParser(description="MiniLM v2 proof point")
    parser.add_argument("--max-seq-length", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--rebuild", default=None)
    args = parser.parse_args(argv)
    from accelsim.groq import minilm

    return minilm(max_seq_length=args.max_seq_length, batch_size=args.batch_size)


if __name__ == "__main__":
    sys.exit(main())
