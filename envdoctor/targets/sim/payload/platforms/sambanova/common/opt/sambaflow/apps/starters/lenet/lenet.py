"""LeNet starter (SambaFlow 1.19 apps/starters), envdoctor simulated-node stand-in.

The real starter compiles LeNet for the RDU (`python lenet.py compile ...`) and runs it
(`python lenet.py run ...`); here both go through the node's accelerator simulator.
"""
import sys


def main(argv):
    try:
        import accelsim  # noqa: F401 - the simulated accelerator
    except ImportError:
        print("lenet: the accelerator simulator (accelsim) is not installed in this environment", file=sys.stderr)
        return 1
    mode = argv[1] if len(argv) > 1 else "run"
    print(f"[Info][SAMBA] lenet {mode}: simulated node, nothing to do for the stand-in starter")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
