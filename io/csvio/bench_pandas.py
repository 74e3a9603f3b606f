#!/usr/bin/python3
"""Time pandas.read_csv on a file, for comparison with csvio.

    /usr/bin/python3 io/csvio/bench_pandas.py FILE

Prints the wall time of pandas.read_csv (C engine, defaults) and the peak
resident set size of the process (ru_maxrss), which includes the Python
interpreter and pandas itself (printed separately as baseline).
"""
import resource
import sys
import time

import pandas as pd


def main():
    path = sys.argv[1]
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    df = pd.read_csv(path)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"pandas.read_csv {path}: {df.shape[0]} rows x {df.shape[1]} columns (pandas {pd.__version__})")
    print(f"seconds {elapsed:.3f}")
    print(f"data_MB {df.shape[0] * df.shape[1] * 8 / 1e6:.1f}")
    print(f"baseline_rss_MB {base * 1.048576:.1f}")
    print(f"peak_rss_MB {peak * 1.048576:.1f}")


if __name__ == "__main__":
    main()
