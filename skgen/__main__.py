"""Command line: ``python -m skgen demo``."""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m skgen", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="skgen next to its scikit-learn baselines on load_digits")
    sub.add_parser("version", help="print the version")
    args = parser.parse_args(argv)
    if args.command == "version":
        from . import __version__

        print(__version__)
    elif args.command == "demo":
        from ._demo import main as demo

        demo()
    return 0


if __name__ == "__main__":
    sys.exit(main())
