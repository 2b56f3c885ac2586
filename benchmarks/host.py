"""The machine a benchmark ran on, recorded with its results (imported by the benchmark scripts beside it)."""
import os
import platform

import tensorflow as tf


def machine() -> dict:
    """nproc, CPU model, TF version and the load when the benchmark started (other jobs may share the cores)."""
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"nproc": os.cpu_count(), "cpu_model": model, "tensorflow": tf.__version__,
            "python": platform.python_version(), "load_average_at_start": os.getloadavg()}
