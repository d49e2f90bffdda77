"""``python -m depthlab.synth [OUT_DIR] [--force]``: regenerate the sample captures."""

from __future__ import annotations

import argparse
import sys

from ..errors import DepthlabError
from .samples import generate_samples


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m depthlab.synth",
                                 description="Write the synthetic sample captures and their ground truth.")
    ap.add_argument("out_dir", nargs="?", default="data/sample", help="folder to write into (default: data/sample)")
    ap.add_argument("--force", action="store_true", help="replace existing files")
    args = ap.parse_args(argv)
    try:
        paths = generate_samples(args.out_dir, overwrite=args.force)
    except DepthlabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for p in paths:
        print(f"wrote {p} ({p.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
