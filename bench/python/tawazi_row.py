"""Measures Python Tawazi on one workload of the tawazi benchmark (bench/index.ts).

Usage: python3 tawazi_row.py WORKLOAD.json REPEATS BUDGET_MS, with tawazi importable (the
benchmark puts TAWAZI_PYTHON_PATH on PYTHONPATH). The JSON file contains the workload's shape,
parent lists, outputs and the expected output. Prints one JSON line with the same fields as a
row process of bench/row.ts.

NOTE: not yet run against an installed Python Tawazi; ExecNodes taking *values are assumed to work.
"""
import json
import resource
import statistics
import sys
import time

from tawazi import dag, xn

MODULUS = 1_000_000_007


@xn
def one():
    return 1


@xn
def increment(x):
    return x + 1


@xn
def sum_all(*values):
    return sum(values)


@xn
def sum_mod(*values):
    return sum(values) % MODULUS


def describing_function(workload):
    """Returns a function calling each node's ExecNode with its parents' results, in node order."""
    shape = workload["shape"]
    parent_lists = workload["parentLists"]
    outputs = workload["outputs"]
    last = len(parent_lists) - 1

    def node_of(node, parents):
        if not parents:
            return one
        if shape == "fan" and node == last:
            return sum_all
        if shape in ("chain", "fan"):
            return increment
        return sum_mod

    def describe():
        traced = []
        for node, parents in enumerate(parent_lists):
            traced.append(node_of(node, parents)(*[traced[parent] for parent in parents]))
        if workload["returnsList"]:
            return tuple(traced[node] for node in outputs)
        return traced[outputs[0]]

    return describe


def timed(call):
    start = time.perf_counter()
    value = call()
    return (time.perf_counter() - start) * 1000, value


def main():
    path, repeats, budget_ms = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    with open(path, encoding="utf8") as file:
        workload = json.load(file)
    describe = describing_function(workload)
    build = lambda: dag(describe, max_concurrency=workload["concurrency"])
    expected = workload["expected"]

    build_times = []
    pipeline = None
    while len(build_times) < repeats and sum(build_times) < budget_ms:
        elapsed, pipeline = timed(build)
        build_times.append(elapsed)

    run_times = []
    while len(run_times) <= repeats and sum(run_times[1:]) < budget_ms:
        elapsed, output = timed(pipeline)
        run_times.append(elapsed)
        got = list(output) if isinstance(output, tuple) else output
        if got != expected:
            raise ValueError(f"the result differs from the plain loop, received {str(got)[:200]}")

    nodes = len(workload["parentLists"])
    print(json.dumps({
        "nodes": nodes,
        "builds": len(build_times),
        "runs": len(run_times) - 1,
        "buildMs": statistics.median(build_times),
        "firstRunMs": run_times[0],
        "runMs": statistics.median(run_times[1:]) if len(run_times) > 1 else run_times[0],
        "builtBytesPerNode": 0,
        "typedArrayBytesPerNode": 0,
        "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
