"""The `cszoo` command line of the model zoo (Release_2.10.0), simulated node edition.

`cszoo fit CONFIG --job_labels name=... --model_dir DIR [--checkpoint_path CKPT]
[--disable_version_check]` trains on the simulated appliance (accelsim).
"""
import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="cszoo", description="Cerebras ModelZoo CLI")
    sub = parser.add_subparsers(dest="command")
    fit = sub.add_parser("fit", help="Run a training job (and evaluation, when the config asks).")
    fit.add_argument("params", help="Path to the YAML config file.")
    fit.add_argument("--job_labels", nargs="+", default=[], help="Labels name=value for the wsjob.")
    fit.add_argument("--model_dir", default="model_dir", help="Where checkpoints and logs go.")
    fit.add_argument("--checkpoint_path", default=None, help="Checkpoint to start from.")
    fit.add_argument("--disable_version_check", action="store_true", help="Skip the client/server version check.")
    fit.add_argument("--num_csx", type=int, default=1)
    args = parser.parse_args(argv)
    if args.command != "fit":
        parser.print_help()
        return 0 if args.command is None else 2
    import cerebras.pytorch  # noqa: F401  - the real CLI needs the appliance client
    from accelsim.cerebras import fit as run_fit

    return run_fit(args.params, args.model_dir, tuple(args.job_labels), release="2.10",
                   checkpoint_path=args.checkpoint_path, disable_version_check=args.disable_version_check)


if __name__ == "__main__":
    sys.exit(main())
