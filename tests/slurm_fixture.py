"""Fixture `slurm_cluster`: a real single-node Slurm (munge + slurmctld + slurmd) for the session."""
