"""Command line: ``python -m hhlib {predict, optimise}`` (the predecessor project's two scripts).

The notebooks' caches are rebuilt by ``python -m hhlib.studies``; ``python -m hhlib --version`` prints
``hhlib <version>``.

``--json`` output is strict JSON (RFC 8259): a number that is not finite is written as ``null`` (NaN where
nothing is defined, e.g. the latency of a level where no trial fired; an infinite deviance, where the model's
probability is exactly 0 or 1 and the data disagree).

Exit status: 0 success; 2 bad arguments, data files or inputs the model cannot integrate (one line on
stderr naming the problem, never a traceback); 130 interrupted (Ctrl-C); 1 an unexpected internal error
(one line; ``HHLIB_DEBUG=1`` shows the traceback).
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import sys
from pathlib import Path

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
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not ok(v):
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}")
        return v
    return convert


#: Most trials per level the command line accepts (1e7 x 11 levels is about 10 min on two cores).
MAX_CLI_RUNS = 10_000_000
_positive_int = _converter(int, lambda v: 1 <= v <= MAX_CLI_RUNS, f"an integer from 1 to {MAX_CLI_RUNS:,}")
_fit_runs = _converter(int, lambda v: 200 <= v <= MAX_CLI_RUNS, f"an integer from 200 to {MAX_CLI_RUNS:,}")
_delta = _converter(float, lambda v: np.isfinite(v) and v > -1, "a finite number > -1")
_seed = _converter(int, lambda v: v >= 0, "an integer >= 0")
_spread = _converter(int, lambda v: 0 <= v <= 20, "an integer from 0 to 20")


def _parser():
    from . import __version__
    from .fit import NAMED_SPREAD
    p = _Parser(prog="python -m hhlib", description="Noisy Hodgkin-Huxley firing probabilities: predict and fit.")
    p.add_argument("--version", action="version", version=f"hhlib {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    pr = sub.add_parser("predict", help="firing probability at the data's stimulus levels for given deltas")
    pr.add_argument("--delta-v", type=_delta, default=0.0, help="relative change of the stimulus scale (> -1)")
    pr.add_argument("--delta-area", type=_delta, default=0.0, help="relative change of the area (> -1)")
    pr.add_argument("--runs", "--n-trials", dest="runs", type=_positive_int, default=1000,
                    help="trials per stimulus level")
    pr.add_argument("--seed", type=_seed, default=None, help="random seed (default: fresh, printed)")
    pr.add_argument("--data", default=None, help="data CSV (x or amplitude_uA/nA/mA, n_fired, n_trials, optional "
                    "latency_ms, jitter_ms; '# key: value' protocol lines); default: the shipped data")
    pr.add_argument("--plot", type=_png_path, default=None, metavar="FILE.png",
                    help="also write a PNG of data vs prediction to this file (default: no plot)")
    pr.add_argument("--no-plot", action="store_true", help="write no PNG (the default; kept for old scripts)")
    pr.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    pr.add_argument("--stimulus", type=_stimulus_text, default=None, metavar="TEXT",
                    help="the stimulus of unit amplitude that the data's stimulus values scale, overriding the data's "
                         "protocol, e.g. 'BiphasicPulse(1.0, 0.05, gap_ms=0.01)', a train "
                         "'PulseTrain(Pulse(1.0, 0.1, 0.05), rate_pps=1000, n_pulses=5)' or a pair "
                         "'Pulse(1.5e-07) + Pulse(1.0, 1.1)' with --vary 1 (the text form of "
                         "hhlib.stimulus.parse_stimulus; default: the data's)")
    pr.add_argument("--vary", type=_part_index, default=None, metavar="K",
                    help="the part of the stimulus that the stimulus values scale, the others fixed (default: the "
                         "data's; with --stimulus: all parts)")
    op = sub.add_parser("optimise", aliases=["optimize"], help="fit delta_v and delta_area to the data")
    op.add_argument("--data", action="append", default=None, help="data CSV (as for predict; with latency_ms and "
                    "jitter_ms the fit is joint); repeat it for several data sets, fitted together (one likelihood); "
                    "default: the shipped data")
    op.add_argument("--free", nargs="+", type=_free_item, default=None, metavar="NAME[=LO:HI]",
                    help="the parameters to fit, by name, with optional bounds, e.g. --free delta_v delta_area "
                         "knoise=1e-5:1e-3 latency_offset_ms=-1:1 (names: hhlib.fitting.params; default: delta_v "
                         "delta_area)")
    op.add_argument("--runs", "--n-trials", dest="runs", type=_fit_runs, default=None,
                    help="trials per level in the final stage (default: 20x the data's)")
    op.add_argument("--seed", type=_seed, default=0, help="random seed (default: %(default)s)")
    op.add_argument("--start", type=_delta, nargs=2, metavar=("DV", "DA"), default=None,
                    help="starting point (delta_v, delta_area)")
    op.add_argument("--method", choices=("profile", "predecessor", "seed"), default="profile",
                    help="'profile' (default, converges) or 'predecessor' (the predecessor project's L-BFGS-B, for "
                         "comparison; 'seed' is its old name)")
    op.add_argument("--no-latency", action="store_true", help="fit the counts alone, even when the data have "
                    "latency_ms and jitter_ms columns (the library's use_latency=False)")
    op.add_argument("--spread", type=_spread, default=None, metavar="N",
                    help="named-parameter fits: refits in N other noise realisations whose spread widens the "
                         f"intervals (default: {NAMED_SPREAD}; given with the default --free, it takes the "
                         "named-parameter path)")
    op.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    return p


def _free_item(text):
    """argparse type for --free: ``NAME`` or ``NAME=LO:HI`` -> (name, None or (lo, hi))."""
    name, sep, rest = text.partition("=")
    if not name:
        raise argparse.ArgumentTypeError(f"expected NAME or NAME=LO:HI, got {text!r}")
    if not sep:
        return name, None
    lo, colon, hi = rest.partition(":")
    try:
        if not colon:
            raise ValueError
        return name, (float(lo), float(hi))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME=LO:HI with two numbers, got {text!r}") from None


def _stimulus_text(text):
    """argparse type for --stimulus: the stimulus that ``text`` describes (hhlib.stimulus.parse_stimulus)."""
    from .stimulus import parse_stimulus
    try:
        return parse_stimulus(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


_part_index = _converter(int, lambda v: v >= 0, "a part index, an integer >= 0")


def _png_path(text):
    """argparse type for --plot: a file path (not empty, not a folder) in an existing folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a file name, got an empty path")
    path = Path(text)
    if path.is_dir() or text.endswith(("/", os.sep)):
        raise argparse.ArgumentTypeError(f"{text!r} is a folder; give a file name such as "
                                         f"{text.rstrip('/')}/prediction.png")
    if not path.parent.resolve().is_dir():
        raise argparse.ArgumentTypeError(f"the folder of {text!r} does not exist")
    return path


def _save_figure_atomically(fig, path: Path):
    """Write the figure to a temporary file next to ``path``, then rename it (never a half-written PNG).

    Any failure is an OSError that names ``path``, the user's file, not the temporary one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fig.savefig(tmp, dpi=120, bbox_inches="tight", format="png")
        os.replace(tmp, path)
    except OSError as exc:                 # its message would name the temporary file
        raise OSError(f"cannot write the plot {str(path)!r}: {exc.strerror or type(exc).__name__}") from None
    finally:
        with contextlib.suppress(OSError):  # e.g. a folder of that name: nothing of ours to remove
            tmp.unlink(missing_ok=True)


def _dumps(obj) -> str:
    """Strict JSON (``allow_nan=False``): NaN and infinities become null, recursively."""
    def clean(v):
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        if isinstance(v, float) and not np.isfinite(v):
            return None
        return v
    return json.dumps(clean(obj), allow_nan=False)


def _prediction_figure(data, p, args):
    """The ``predict --plot`` figure: data over the prediction, the legend outside the axes (never on the curve)."""
    from matplotlib.figure import Figure

    from .viz.plots import plot_prediction
    ax = plot_prediction(data.x, p, args.runs, Figure(figsize=(6, 4)).subplots(), data=data, legend_loc="outside")
    ax.set_title(f"delta_v = {args.delta_v:g}, delta_area = {args.delta_area:g}")
    return ax.figure


def _load(path):
    from .data import load_data
    return load_data(path)


def _json_list(a):
    """A list for JSON: NaN (no spike) becomes null."""
    return [None if not np.isfinite(v) else float(v) for v in np.asarray(a, dtype=float).ravel()]


def _predict(args):
    from .normalised import check_stimulus_range, deviance_loss, mse_loss, predict, setup_for_data
    from .stats import binomial_ci
    data = _load(args.data)
    setup = setup_for_data(data)
    if args.stimulus is not None or args.vary is not None:
        stim = setup.stimulus if args.stimulus is None else args.stimulus
        try:
            setup = dataclasses.replace(setup, stimulus=stim, vary=args.vary)
        except ValueError as exc:
            raise ValueError(f"--stimulus {stim!r}, --vary {args.vary!r}: {exc}") from None
    check_stimulus_range(data, setup)
    seed = args.seed if args.seed is not None else int(np.random.SeedSequence().entropy % 2**32)
    pred = predict(args.delta_v, args.delta_area, data.x, n_trials=args.runs, seed=seed, return_latency=True,
                   setup=setup)
    p = pred.firing_probability
    lo, hi = binomial_ci(np.round(p * args.runs), args.runs)
    mlo, mhi = binomial_ci(data.n_fired, data.n_trials)
    out = dict(delta_v=args.delta_v, delta_area=args.delta_area, runs=args.runs, seed=seed,
               stimulus=repr(setup.stimulus), vary=setup.vary, x=data.x.tolist(),
               measured=data.firing_probability.tolist(), predicted=p.tolist(), predicted_ci=[lo.tolist(), hi.tolist()],
               mse=mse_loss(p, data), deviance=deviance_loss(p, data),
               predicted_latency_ms=_json_list(pred.latency_ms), predicted_jitter_ms=_json_list(pred.jitter_ms))
    if data.latency_ms is not None:
        out["measured_latency_ms"] = _json_list(data.latency_ms)
    if data.jitter_ms is not None:
        out["measured_jitter_ms"] = _json_list(data.jitter_ms)
    if args.plot is not None and not args.no_plot:
        _save_figure_atomically(_prediction_figure(data, p, args), args.plot)
        out["plot"] = str(args.plot)
    if args.json:
        print(_dumps(out))
        return
    print(f"delta_v = {args.delta_v:g}, delta_area = {args.delta_area:g}, {args.runs} trials per level, seed {seed}")
    stim = "x" if data.stimulus_unit == "normalised" else "I (uA)"
    print(f"{stim:>8} {'measured':>9} {'95% CI':>17} {'predicted':>10} {'95% CI':>17} {'latency ms':>11} "
          f"{'jitter ms':>10}")
    xfmt = "8.4f" if data.stimulus_unit == "normalised" else "8.3g"
    for i in range(len(data)):
        print(f"{data.x[i]:{xfmt}} {data.firing_probability[i]:9.3f} [{mlo[i]:6.3f}, {mhi[i]:6.3f}] "
              f"{p[i]:10.3f} [{lo[i]:6.3f}, {hi[i]:6.3f}] {pred.latency_ms[i]:11.4f} {pred.jitter_ms[i]:10.4f}")
    print("latency: mean first-spike time from the stimulus onset over the trials that fired; jitter: its standard "
          "deviation (predicted)" if setup.vary is None else
          f"latency: mean time of the first spike after the onset of part {setup.vary}, from that onset, over the "
          "trials it made fire; jitter: its standard deviation (predicted)")
    print(f"stimulus {setup.stimulus!r}" + ("" if setup.vary is None else f", the stimulus values scale part "
                                                                             f"{setup.vary}"))
    print(f"MSE {out['mse']:.5f}   binomial deviance {out['deviance']:.2f}")
    if "plot" in out:
        print(f"plot written to {args.plot}")


def _optimise(args):
    from .fit import fit
    paths = args.data or [None]
    data = [_load(p) for p in paths] if len(paths) > 1 else _load(paths[0])
    free = None if args.free is None else dict(args.free)
    if free is not None and len(free) != len(args.free):
        raise ValueError("--free names a parameter twice")

    def progress(msg):                         # progress goes to stderr, results to stdout
        sys.stderr.write(f"[hhlib optimise] {msg}\n")
        sys.stderr.flush()
    method = "predecessor" if args.method == "seed" else args.method
    r = fit(data, n_trials=args.runs, seed=args.seed, start=args.start, method=method, progress=progress,
            use_latency=False if args.no_latency else None, free=free, n_spread=args.spread)
    if args.json:
        print(_dumps(r.to_dict()))
    else:
        print(r.summary())


def _one_line(exc) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def main(argv=None) -> int:
    """Run the command line; returns the exit status (see the module docstring)."""
    args = _parser().parse_args(argv)
    prog = f"python -m hhlib {args.command}"
    try:
        if args.command == "predict":
            _predict(args)
        else:
            _optimise(args)
    except KeyboardInterrupt:
        sys.stderr.write(f"\n{prog}: interrupted\n")
        return 130
    except (ValueError, TypeError, OSError) as exc:
        sys.stderr.write(f"{prog}: error: {_one_line(exc)}\n")
        return 2
    except MemoryError:
        sys.stderr.write(f"{prog}: error: not enough memory for this request (reduce --runs)\n")
        return 2
    except Exception as exc:                                   # a bug: still one line, unless debugging
        if os.environ.get("HHLIB_DEBUG"):
            raise
        sys.stderr.write(f"{prog}: internal error: {type(exc).__name__}: {_one_line(exc)} "
                         "(set HHLIB_DEBUG=1 to see the traceback)\n")
        return 1
    return 0
