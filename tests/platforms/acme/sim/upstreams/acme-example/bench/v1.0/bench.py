"""A small training benchmark: fits y = 3x + 1 by SGD and reports measured numbers."""
import argparse
import random
import time

import acme_sdk


def main() -> int:
    parser = argparse.ArgumentParser(description="ACME training benchmark")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()
    print(f"acme device {acme_sdk.device()}, acme-sdk {acme_sdk.__version__}", flush=True)
    rng = random.Random(0)
    w = b = 0.0
    started = time.perf_counter()
    for step in range(args.steps):
        t0 = time.perf_counter()
        xs = [rng.uniform(-1, 1) for _ in range(args.batch_size)]
        errors = [(w * x + b) - (3 * x + 1) for x in xs]
        loss = sum(e * e for e in errors) / len(errors)
        w -= 0.1 * sum(2 * e * x for e, x in zip(errors, xs)) / len(xs)
        b -= 0.1 * sum(2 * e for e in errors) / len(xs)
        rate = args.batch_size / max(time.perf_counter() - t0, 1e-9)
        print(f"step {step}, loss: {loss:.6f}, throughput: {rate:.2f} samples/sec", flush=True)
    print(f"Training time: {time.perf_counter() - started:.6f} secs", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
