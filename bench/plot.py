"""PNG charts of model results. matplotlib is imported here only, on first use, with Agg.

Why lazily: importing matplotlib costs about a second, and `--json` or a table never needs it.
Agg because the bench runs on build machines without a display.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from bench.errors import BenchError
from bench.size import MARGINAL_MAX, OK_MAX, RESOURCES, Sizing, SweepLine

COLOURS = {"cpu": "#4c72b0", "memory": "#dd8452", "nic": "#55a868"}


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _save(fig, path: str) -> str:
    out = Path(path)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, dpi=110)
    except OSError as exc:
        raise BenchError(str(out), f"cannot write the chart: {exc.strerror or exc}",
                         "a writable path ending in .png") from None
    finally:
        import matplotlib.pyplot as plt
        plt.close(fig)
    return str(out)


def _fit(fig) -> None:
    """Fixed margins: tight_layout measures every label and costs a second on a slow box."""
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.13, top=0.93)


def _bars(ax, rows: Sequence[Sizing], title: str) -> None:
    width = 0.27
    for i, res in enumerate(RESOURCES):
        xs = [j + (i - 1) * width for j in range(len(rows))]
        ax.bar(xs, [min(r.utilisation[res], 1.5) * 100 for r in rows], width,
               label=res, color=COLOURS[res])
    ax.axhline(OK_MAX * 100, color="grey", ls="--", lw=1)
    ax.axhline(MARGINAL_MAX * 100, color="red", ls="--", lw=1)
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels([f"{r.box}\n{r.verdict}" for r in rows], fontsize=8)
    ax.set_ylabel("utilisation %")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)


def _sweep(ax, lines: Sequence[SweepLine], rates: Sequence[float], mark: float = 0) -> None:
    for ln in lines:
        ax.plot(rates, ln.worst, label=ln.box, lw=1.3)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.axhline(OK_MAX, color="grey", ls="--", lw=1)
    ax.axhline(MARGINAL_MAX, color="red", ls="--", lw=1)
    ax.text(rates[0], OK_MAX * 1.05, "ok / marginal", fontsize=7, color="grey")
    ax.text(rates[0], MARGINAL_MAX * 1.05, "insufficient", fontsize=7, color="red")
    if mark:
        ax.axvline(mark, color="black", lw=0.8, ls=":")
    ax.set_ylim(0.001, 10)
    ax.set_xlabel("HTTP requests/s")
    ax.set_ylabel("worst utilisation")
    ax.set_title("where each box goes from ok to insufficient", fontsize=9)
    ax.legend(fontsize=7)


def size_chart(path: str, rows: Sequence[Sizing], title: str,
               lines: Sequence[SweepLine] = (), rates: Sequence[float] = (),
               mark: float = 0) -> str:
    plt = _pyplot()
    if lines:
        fig, (a, b) = plt.subplots(1, 2, figsize=(13, 5))
        _bars(a, rows, title)
        _sweep(b, lines, rates, mark)
        fig.subplots_adjust(left=0.05, right=0.98, bottom=0.13, top=0.93, wspace=0.2)
    else:
        fig, a = plt.subplots(figsize=(8, 5))
        _bars(a, rows, title)
        _fit(fig)
    return _save(fig, path)


def sweep_chart(path: str, lines: Sequence[SweepLine], rates: Sequence[float]) -> str:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 5))
    _sweep(ax, lines, rates)
    _fit(fig)
    return _save(fig, path)


def livelock_chart(path: str, curve, title: str) -> str:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 5))
    xs = [p[0] for p in curve.points]
    ax.plot(xs, [p[1] for p in curve.points], label="interrupt-driven", marker=".")
    ax.plot(xs, [p[2] for p in curve.points], label="NAPI", marker=".")
    ax.plot(xs, xs, color="grey", lw=0.8, ls=":", label="offered")
    ax.axvline(curve.mlfrr, color="grey", ls="--", lw=1)
    ax.set_ylim(0, max(curve.napi_capacity, curve.mlfrr) * 1.3)
    ax.set_xlabel("offered packets/s")
    ax.set_ylabel("forwarded packets/s")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    _fit(fig)
    return _save(fig, path)
