"""Command line: ``python -m hhlib {predict, optimise}`` (the seed project's two scripts).

Bad arguments or data files end with exit status 2 and one line naming the problem.
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        # one line, no usage block, exit status 2
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def _converter(cast, ok, what):
    """argparse type: ``cast`` the text and check ``ok``, else a one-line error saying ``what``."""
    def convert(text):
        try:
            v = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        if not ok(v):
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}")
        return v
    return convert


_positive_int = _converter(int, lambda v: v >= 1, "an integer >= 1")
_delta = _converter(float, lambda v: np.isfinite(v) and v > -1, "a finite number > -1")
_seed = _converter(int, lambda v: v >= 0, "an integer >= 0")


def _parser():
    p = _Parser(prog="python -m hhlib", description="Noisy Hodgkin-Huxley firing probabilities: predict and fit.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    pr = sub.add_parser("predict", help="firing probability at the data's stimulus levels for given deltas")
    pr.add_argument("--delta-v", type=_delta, default=0.0, help="relative change of the stimulus scale (> -1)")
    pr.add_argument("--delta-area", type=_delta, default=0.0, help="relative change of the area (> -1)")
    pr.add_argument("--runs", type=_positive_int, default=1000, help="trials per stimulus level")
    pr.add_argument("--seed", type=_seed, default=None, help="random seed (default: fresh, printed)")
    pr.add_argument("--data", default=None, help="data CSV (x,n_fired,n_trials); default: data/experimental.csv")
    pr.add_argument("--plot", default="prediction.png", help="PNG file of data vs prediction (default: %(default)s)")
    pr.add_argument("--no-plot", action="store_true", help="do not write the PNG")
    pr.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    op = sub.add_parser("optimise", aliases=["optimize"], help="fit delta_v and delta_area to the data")
    op.add_argument("--data", default=None, help="data CSV (x,n_fired,n_trials); default: data/experimental.csv")
    op.add_argument("--runs", type=_positive_int, default=None,
                    help="trials per level in the final stage (default: 20x the data's)")
    op.add_argument("--seed", type=_seed, default=0, help="random seed (default: %(default)s)")
    op.add_argument("--start", type=_delta, nargs=2, metavar=("DV", "DA"), default=None,
                    help="starting point (delta_v, delta_area)")
    op.add_argument("--method", choices=("profile", "seed"), default="profile",
                    help="'profile' (default, converges) or 'seed' (the seed's L-BFGS-B, for comparison)")
    op.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    sub.add_parser("cache", help="rebuild every cached sweep the notebooks use (data/cache/*.npz)")
    return p


def _load(path):
    from .data import load_data
    return load_data(path)


def _predict(args):
    from .normalised import deviance_loss, mse_loss, predict
    from .stats import binomial_ci
    data = _load(args.data)
    seed = args.seed if args.seed is not None else int(np.random.SeedSequence().entropy % 2**32)
    p = predict(args.delta_v, args.delta_area, data.x, runs=args.runs, seed=seed)
    lo, hi = binomial_ci(np.round(p * args.runs), args.runs)
    mlo, mhi = binomial_ci(data.n_fired, data.n_trials)
    out = dict(delta_v=args.delta_v, delta_area=args.delta_area, runs=args.runs, seed=seed, x=data.x.tolist(),
               measured=data.fraction.tolist(), predicted=p.tolist(), predicted_ci=[lo.tolist(), hi.tolist()],
               mse=mse_loss(p, data), deviance=deviance_loss(p, data))
    if not args.no_plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from .plots import plot_prediction
        ax = plot_prediction(data.x, p, args.runs, data=data)
        ax.set_title(f"delta_v = {args.delta_v:g}, delta_area = {args.delta_area:g}")
        ax.figure.savefig(args.plot, dpi=120, bbox_inches="tight")
        plt.close(ax.figure)
        out["plot"] = args.plot
    if args.json:
        print(json.dumps(out))
        return
    print(f"delta_v = {args.delta_v:g}, delta_area = {args.delta_area:g}, {args.runs} trials per level, seed {seed}")
    print(f"{'x':>8} {'measured':>9} {'95% CI':>17} {'predicted':>10} {'95% CI':>17}")
    for i in range(len(data)):
        print(f"{data.x[i]:8.4f} {data.fraction[i]:9.3f} [{mlo[i]:6.3f}, {mhi[i]:6.3f}] {p[i]:10.3f} [{lo[i]:6.3f}, {hi[i]:6.3f}]")
    print(f"MSE {out['mse']:.5f}   binomial deviance {out['deviance']:.2f}")
    if "plot" in out:
        print(f"plot written to {args.plot}")


def _optimise(args):
    from .fit import fit
    data = _load(args.data)

    def progress(msg):                         # progress goes to stderr, results to stdout
        sys.stderr.write(f"[hhlib optimise] {msg}\n")
        sys.stderr.flush()
    r = fit(data, runs=args.runs, seed=args.seed, start=args.start, method=args.method, progress=progress)
    if args.json:
        print(json.dumps(r.to_dict()))
    else:
        print(r.summary())


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "predict":
            _predict(args)
        elif args.command == "cache":
            from .cache import rebuild_all
            rebuild_all()
        else:
            _optimise(args)
    except (ValueError, FileNotFoundError, TypeError) as exc:
        sys.stderr.write(f"python -m hhlib {args.command}: error: {exc}\n")
        return 2
    return 0
