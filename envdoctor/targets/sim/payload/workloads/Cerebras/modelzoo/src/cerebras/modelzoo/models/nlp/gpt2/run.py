"""GPT-2 run script of the model zoo (src/cerebras/modelzoo layout, Release_2.2.0 and later), simulated node edition.

python run.py CSX --job_labels name=gpt2_pt --params CONFIG --num_workers_per_csx=1 --mode train
              --model_dir DIR --mount_dirs /home/ /software/ --python_paths P --compile_dir U
"""
import sys

from accelsim.cerebras import run_py

if __name__ == "__main__":
    sys.exit(run_py())
