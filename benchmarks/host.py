"""What the benchmark scripts beside it share: the machine a benchmark ran on (recorded with its results), medians."""
import json
import os
import pathlib
import platform
import statistics
import time

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


def median_seconds(function, runs: int, warmup: int) -> float:
    """The median wall time of runs calls of function, after warmup untimed calls (first calls trace graphs)."""
    for _ in range(warmup):
        function()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def write_medians(result: dict, path: str) -> None:
    """Prints result["median_seconds"] in milliseconds; writes result as JSON, with the load at the end added to its
    "machine"."""
    for step, seconds in result["median_seconds"].items():
        print(f"{step:>16}: {seconds * 1000:8.1f} ms")
    result["machine"]["load_average_at_end"] = os.getloadavg()
    pathlib.Path(path).write_text(json.dumps(result, indent=2) + "\n")
