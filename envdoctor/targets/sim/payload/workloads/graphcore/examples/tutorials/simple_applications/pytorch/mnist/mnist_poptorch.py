#!/usr/bin/env python3
# Copyright (c) 2020 Graphcore Ltd. All rights reserved.
# Simulated node edition: the same options; accelsim stands in for the IPU.
import argparse
import sys

import poptorch  # noqa: F401  - fails outside the PopTorch venv, as the real tutorial does


def main(argv=None):
    parser = argparse.ArgumentParser(description="MNIST training in PopTorch")
    parser.add_argument("--batch-size", type=int, default=8, help="batch size for training (default: 8)")
    parser.add_argument("--device-iterations", type=int, default=50, help="device iteration (default:50)")
    parser.add_argument("--test-batch-size", type=int, default=80, help="batch size for testing (default: 80)")
    parser.add_argument("--epochs", type=int, default=10, help="number of epochs to train (default: 10)")
    parser.add_argument("--lr", type=float, default=0.05, help="learning rate (default: 0.05)")
    args = parser.parse_args(argv)
    from accelsim.graphcore import mnist

    return mnist(epochs=args.epochs, lr=args.lr, batch_size=args.batch_size,
                 device_iterations=args.device_iterations, test_batch_size=args.test_batch_size)


if __name__ == "__main__":
    sys.exit(main())
