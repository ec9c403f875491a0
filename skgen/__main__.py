"""Command line: ``python -m skgen demo`` and ``python -m skgen version``."""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import sys


def main(argv=None):
    """Parse the command line and run the command; returns the exit status."""
    # plain text: the module docstring's reST markup would print as it is
    parser = argparse.ArgumentParser(
        prog="python -m skgen",
        description="skgen's command line: 'demo' runs the four estimators next to their "
        "baselines on the digits, 'version' prints the version.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo",
        help="the four skgen estimators next to their scikit-learn baselines on load_digits",
        description="Fit AutoencoderTransformer, VAETransformer, DenoisingAutoencoder and "
        "AEOutlierDetector next to PCA, GaussianMixture, KNNImputer and IsolationForest on "
        "scikit-learn's built-in digits; print a table for each and write figures. Progress "
        "goes to standard error, tables to standard output.",
    )
    demo.add_argument("--output", "-o", default="skgen-demo", metavar="DIR",
                      help="folder for the figures (default: ./skgen-demo)")
    demo.add_argument("--quick", action="store_true",
                      help="train for 3 epochs only: a fast smoke run, numbers not representative")
    sub.add_parser("version", help="print the version")
    args = parser.parse_args(argv)
    if args.command == "version":
        from . import __version__

        print(__version__)
    elif args.command == "demo":
        from ._demo import main as demo_main

        demo_main(args.output, quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
