"""Run benchmark sections and print their figures as JSON."""

import argparse
import importlib
import json
import pkgutil
import sys
import time

import torch

import bench


def sections() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if not m.name.startswith("_"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    ap.add_argument("section", nargs="*", help=f"default: all of {sections()}")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    chosen = args.section or sections()
    unknown = sorted(set(chosen) - set(sections()))
    if unknown:
        print(f"unknown section(s) {unknown}; choose from {sections()}", file=sys.stderr)
        return 2
    report: dict = {"threads": args.threads, "torch": torch.__version__}
    for name in chosen:
        start = time.perf_counter()
        report[name] = importlib.import_module(f"bench.{name}").run()
        report[name]["section_seconds"] = round(time.perf_counter() - start, 1)
        print(f"[bench] {name} done in {report[name]['section_seconds']} s", file=sys.stderr)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
