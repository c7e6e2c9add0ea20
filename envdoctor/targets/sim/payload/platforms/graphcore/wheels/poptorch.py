
import os as _os


class poptorch_cpp_error(RuntimeError):
    """What PopTorch raises when the IPUs cannot be attached."""


def _acquire(num_ipus=1):
    # The real PopTorch attaches IPUs through the V-IPU partition Slurm sets up; outside an
    # srun/sbatch allocation there is none, and it fails with exactly this text.
    if not _os.environ.get("SLURM_JOB_ID"):
        raise poptorch_cpp_error(
            "In poptorch/source/dispatch_tracer/RegisterAtenOverloads.cpp:... "
            "'poptorch_cpp_error': Failed to acquire %d IPU(s)" % num_ipus)
    return num_ipus


class Options:
    def __init__(self):
        self._device_iterations = 1
        self.replication_factor = 1

    def deviceIterations(self, n):
        self._device_iterations = int(n)
        return self

    def replicationFactor(self, n):
        self.replication_factor = int(n)
        return self


class _Model:
    def __init__(self, model, options=None, optimizer=None):
        self.model, self.options, self.optimizer = model, options or Options(), optimizer
        _acquire(self.options.replication_factor)

    def __call__(self, *args, **kwargs):
        return self.model(*args, **kwargs)

    def detachFromDevice(self):
        pass


def trainingModel(model, options=None, optimizer=None):
    return _Model(model, options, optimizer)


def inferenceModel(model, options=None):
    return _Model(model, options)
