"""BERT run script of the model zoo (Release_2.3.0 layout), simulated node edition.

python run.py CSX --job_labels name=bert_pt --params CONFIG --num_workers_per_csx=1 --mode train
              --model_dir DIR --mount_dirs /home/ /software/ --python_paths P --compile_dir U
"""
import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="run.py")
    parser.add_argument("target_device", choices=("CSX", "CPU", "GPU"))
    parser.add_argument("-p", "--params", required=True)
    parser.add_argument("-m", "--mode", default="train", choices=("train", "eval", "train_and_eval"))
    parser.add_argument("-o", "--model_dir", default="model_dir")
    parser.add_argument("--job_labels", nargs="+", default=[])
    parser.add_argument("--num_workers_per_csx", type=int, default=0)
    parser.add_argument("--num_csx", type=int, default=1)
    parser.add_argument("--mount_dirs", nargs="+", default=[])
    parser.add_argument("--python_paths", nargs="+", default=[])
    parser.add_argument("--compile_dir", default=None)
    parser.add_argument("--checkpoint_path", default=None)
    args = parser.parse_args(argv)
    import cerebras.pytorch  # noqa: F401
    from accelsim.cerebras import fit

    return fit(args.params, args.model_dir, tuple(args.job_labels), release="2.3",
               checkpoint_path=args.checkpoint_path, mode=args.mode)


if __name__ == "__main__":
    sys.exit(main())
