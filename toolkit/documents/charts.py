"""Colour charts for the reports (matplotlib, Agg, no pyplot), as 200 dpi PNG bytes.

Each chart is drawn once per run and shared by every document that shows it. Japanese labels use an IPA font found
through matplotlib's font manager (fonts-ipaexfont on Debian), else a Japanese font Windows ships.
"""
from __future__ import annotations

import glob
import io
from collections.abc import Sequence
from functools import lru_cache
from itertools import accumulate

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from toolkit.japanese import char_width, display_width, printable, shorten  # noqa: E402

from .formats import pct  # noqa: E402

DPI = 200
WIDTH_IN = 6.3  # 160 mm, the width the charts take on the page
FONT_CANDIDATES = ("IPAexGothic", "IPAGothic", "IPAPGothic", "Noto Sans CJK JP", "Yu Gothic", "Meiryo", "MS Gothic")
_FONT_GLOBS = ("/usr/share/fonts/**/ipaexg.ttf", "/usr/share/fonts/**/ipag*.ttf",
               "/usr/share/fonts/**/NotoSansCJK*.tt[cf]")
BLUE, LIGHT_BLUE, ORANGE, RED, GREEN = "#2F5597", "#B4C7E7", "#ED7D31", "#C00000", "#548235"
STATUS_COLOURS = {"ok": BLUE, "warning": ORANGE, "plan_over": ORANGE, "over": RED}
# Printed in grey, colours alone blur (blue and red come out the same grey): each also has its own hatching.
STATUS_HATCHES = {"ok": "", "warning": "////", "plan_over": "////", "over": "xxxx"}
LINE_COLOURS = ("#2F5597", "#70AD47", "#FFC000", "#A5A5A5")
LINE_HATCHES = ("", "////", "....", "xxxx")
# A value label sits on a white box above the reference lines: a target line never runs through its figure.
LABEL_BOX = {"facecolor": "white", "edgecolor": "none", "pad": 0.6}


@lru_cache(maxsize=1)
def japanese_font() -> str | None:
    """The family name of a Japanese font matplotlib can use, or None when the machine has none."""
    known = {f.name for f in font_manager.fontManager.ttflist}
    for name in FONT_CANDIDATES:
        if name in known:
            return name
    # The font cache may predate the fonts' installation: register the files directly.
    for pattern in _FONT_GLOBS:
        for path in sorted(glob.glob(pattern, recursive=True)):
            font_manager.fontManager.addfont(path)
    known = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in FONT_CANDIDATES if name in known), None)


LABEL_CELLS = 36  # a label wider than this (in half-width cells) goes onto two lines rather than being cut
# A label is at most two such lines: a longer one (a 100-character company name) is shortened with an ellipsis,
# so the plot keeps its width and the label never runs off the page.
MAX_LABEL_CELLS = 2 * LABEL_CELLS


def _text_width_in(text: str, size_pt: float = 8) -> float:
    """Rough printed width of a label (no layout engine needed): a half-width cell is a little over half an em."""
    return max(display_width(line) for line in text.split("\n")) * 0.55 * size_pt / 72


def wrap(label: str, cells: int = LABEL_CELLS) -> str:
    """A long label on two lines (never more: beyond two lines' width it is shortened with …): broken after a
    space or before a （…） when there is one (the ID and the name, the name and its area), else in the middle;
    the break that gives the narrower block wins. Linear in the label's length."""
    label = shorten(printable(label), 2 * cells)
    if display_width(label) <= cells:
        return label
    widths = [0, *accumulate(map(char_width, label))]  # widths[i]: display width of label[:i]
    total = widths[-1]

    def widest(i: int) -> int:
        return max(widths[i], total - widths[i])

    natural = [i for i, ch in enumerate(label) if ch == "（" and i > 0] + [i + 1 for i, ch in enumerate(label)
                                                                         if ch == " " and 0 < i < len(label) - 1]
    fitting = [i for i in natural if widest(i) <= cells]
    cut = min(fitting or range(1, len(label)), key=widest)
    return label[:cut].rstrip() + "\n" + label[cut:].lstrip()


def _labels(labels: Sequence[str]) -> list[str]:
    return [wrap(x) for x in labels]


def _signed_pct(value: float, _position: object = None) -> str:
    """+2.0% / △1.0%: the notation of the tables, on the chart too."""
    return pct(value, signed=True)


def _figure(height_in: float, labels: Sequence[str] = (), bottom_in: float = 0.45, top_in: float = 0.12,
            right_in: float = 0.25) -> Figure:
    """A figure with margins set by hand: constrained layout would draw every chart twice."""
    fig = Figure(figsize=(WIDTH_IN, height_in), dpi=DPI)
    FigureCanvasAgg(fig)
    left_in = min(max([_text_width_in(x) for x in labels] + [0.3]) + 0.2, WIDTH_IN / 2)  # the plot keeps half
    fig.subplots_adjust(left=left_in / WIDTH_IN, right=1 - right_in / WIDTH_IN, bottom=bottom_in / height_in,
                        top=1 - top_in / height_in)
    return fig


def _style_axes(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=8)
    ax.grid(axis="x", color="#D9D9D9", linewidth=0.6)
    ax.set_axisbelow(True)


def _png(fig: Figure) -> bytes:
    """Draw once and encode as RGB PNG with light compression (the .docx zips it again anyway); this is a good
    deal quicker than savefig, which matters with several charts per run."""
    from PIL import Image  # matplotlib depends on Pillow

    fig.patch.set_facecolor("white")
    canvas = fig.canvas
    canvas.draw()
    width, height = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1, dpi=(DPI, DPI))
    return buffer.getvalue()


def _rc() -> dict:
    font = japanese_font()
    # text.parse_math off: a company named 「$Rich$ 商事」 is shown as typed, never parsed as TeX (which failed).
    rc = {"font.size": 8, "axes.titlesize": 9, "legend.fontsize": 7.5, "axes.unicode_minus": False,
          "text.parse_math": False}
    if font:
        rc["font.family"] = [font]  # one family: a fallback chain makes every label slower to lay out
    return rc


def _height(labels: Sequence[str]) -> float:
    two_lines = any("\n" in x for x in labels)
    return min(9.0, max(2.0, 0.7 + (0.27 if two_lines else 0.19) * len(labels)))


def horizontal_bars(labels: Sequence[str], values: Sequence[float], *, xlabel: str,
                    colours: Sequence[str] | str = BLUE, scale: Sequence[float] = (),
                    margin_labels: Sequence[str] = ()) -> bytes:
    """One bar per label, top to bottom in the given order, each with its value at the end. A part of a longer
    chart (chart_data.bar_parts) gets the whole chart's values (``scale``) and labels (``margin_labels``), so
    every part has the same axis and the same label column."""
    labels = _labels(labels)
    with matplotlib.rc_context(_rc()):
        fig = _figure(_height(labels), _labels(margin_labels) or labels, bottom_in=0.5)
        ax = fig.add_subplot()
        positions = range(len(labels))
        ax.barh(positions, values, color=colours, height=0.65)
        ax.set_yticks(list(positions), labels)
        ax.invert_yaxis()
        _style_axes(ax)
        ax.set_xlabel(xlabel)
        top = max([*values, *scale, 1])
        for y, v in zip(positions, values):
            ax.text(v + top * 0.01, y, f"{v:,.0f}", va="center", fontsize=7)
        ax.set_xlim(0, top * 1.12)
        return _png(fig)


def change_bars(labels: Sequence[str], changes: Sequence[float], *, target: float,
                average: float | None, scale: Sequence[float] = (), margin_labels: Sequence[str] = (),
                legend: bool = True) -> bytes:
    """Per-company % change, green up and red down, with the target and the average as vertical lines (their
    legend on the last part only)."""
    labels = _labels(labels)
    with matplotlib.rc_context(_rc()):
        fig = _figure(_height(labels) + (0.3 if legend else 0), _labels(margin_labels) or labels,
                      bottom_in=0.85 if legend else 0.55)
        ax = fig.add_subplot()
        positions = range(len(labels))
        ax.barh(positions, changes, color=[GREEN if c >= 0 else RED for c in changes],
                hatch=["" if c >= 0 else "////" for c in changes], edgecolor="white", linewidth=0, height=0.65)
        ax.set_yticks(list(positions), labels)
        ax.invert_yaxis()
        _style_axes(ax)
        ax.axvline(0, color="black", linewidth=0.8)
        every = [*changes, *scale]
        span = max([abs(c) for c in every] + [abs(target), 1])
        for y, c in zip(positions, changes):
            ax.text(c + (span * 0.02 if c >= 0 else -span * 0.02), y, _signed_pct(c), va="center",
                    ha="left" if c >= 0 else "right", fontsize=7, bbox=LABEL_BOX, zorder=5)
        low = min([*every, 0])
        # Room outside the bars for their labels, on both sides.
        ax.set_xlim(low * 1.3 - (span * 0.2 if low < 0 else span * 0.05), max([*every, target]) * 1.2 + span * 0.1)
        ax.set_xlabel("労働生産性の変化率")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: "0%" if round(v, 1) == 0 else
                                                   _signed_pct(v).replace(".0%", "%")))
        handles = [Line2D([], [], color=RED, linestyle="--", label=f"目標 {_signed_pct(target)}")]
        ax.axvline(target, color=RED, linestyle="--", linewidth=1)
        if average is not None:
            ax.axvline(average, color=BLUE, linestyle=":", linewidth=1.4)
            handles.append(Line2D([], [], color=BLUE, linestyle=":", label=f"平均 {_signed_pct(average)}"))
        if legend:
            ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0), ncol=2, frameon=False,
                      bbox_transform=fig.transFigure)
        return _png(fig)


def cap_bars(labels: Sequence[str], actual: Sequence[int], planned: Sequence[int], caps: Sequence[int],
             statuses: Sequence[str], *, scale: Sequence[int] = (), margin_labels: Sequence[str] = (),
             legend: bool = True) -> bytes:
    """Per-company cloud service cost: the plan as a light bar, the actual inside it, the cap as a marker (the
    legend on the last part only)."""
    labels = _labels(labels)
    with matplotlib.rc_context(_rc()):
        fig = _figure(_height(labels) + (0.3 if legend else 0), _labels(margin_labels) or labels,
                      bottom_in=0.9 if legend else 0.5)
        ax = fig.add_subplot()
        positions = list(range(len(labels)))
        man = 10_000
        ax.barh(positions, [p / man for p in planned], color=LIGHT_BLUE, height=0.75)
        ax.barh(positions, [a / man for a in actual], color=[STATUS_COLOURS.get(s, BLUE) for s in statuses],
                hatch=[STATUS_HATCHES.get(s, "") for s in statuses], edgecolor="white", linewidth=0, height=0.45)
        ax.scatter([c / man for c in caps], positions, marker="|", s=220, color="black", linewidths=1.6, zorder=3)
        ax.set_yticks(positions, labels)
        ax.invert_yaxis()
        _style_axes(ax)
        ax.set_xlabel("金額（万円）")
        ax.set_xlim(0, max([*planned, *actual, *caps, *scale, 1]) / man * 1.1)
        if legend:
                ax.legend(handles=[Patch(facecolor=BLUE, label="実績（適正）"),
                               Patch(facecolor=ORANGE, hatch=STATUS_HATCHES["warning"], edgecolor="white",
                                     label="実績（警告・超過見込）"),
                               Patch(facecolor=RED, hatch=STATUS_HATCHES["over"], edgecolor="white",
                                     label="実績（超過）"),
                               Patch(facecolor=LIGHT_BLUE, label="計画額"),
                               Line2D([], [], color="black", marker="|", linestyle="", markersize=10, label="上限")],
                      loc="lower center", bbox_to_anchor=(0.5, 0), bbox_transform=fig.transFigure, ncol=3,
                      frameon=False)
        return _png(fig)


def stacked_months(labels: Sequence[str], series: Sequence[tuple[str, Sequence[int]]]) -> bytes:
    """Amounts per month, one stacked colour per cost line."""
    with matplotlib.rc_context(_rc()):
        fig = _figure(3.2, bottom_in=0.4, top_in=0.45)  # the legend sits above the bars, clear of their totals
        fig.subplots_adjust(left=0.7 / WIDTH_IN)
        ax = fig.add_subplot()
        positions = list(range(len(labels)))
        bottom = [0.0] * len(labels)
        man = 10_000
        for (name, values), colour, hatch in zip(series, LINE_COLOURS, LINE_HATCHES):
            heights = [v / man for v in values]
            ax.bar(positions, heights, bottom=bottom, color=colour, hatch=hatch, edgecolor="white", linewidth=0,
                   width=0.6, label=name)
            bottom = [b + h for b, h in zip(bottom, heights)]
        ax.set_xticks(positions, labels)
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", color="#D9D9D9", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.set_ylabel("金額（万円）")
        for x, total in zip(positions, bottom):
            ax.text(x, total, f"{total:,.1f}", ha="center", va="bottom", fontsize=7)
        ax.set_ylim(0, max([*bottom, 1]) * 1.15)
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.02), ncol=4, frameon=False)
        return _png(fig)


def usage_pace(days: Sequence, cumulative: Sequence[int], start, end, target: int, as_of, projected: int) -> bytes:
    """The usage KPI through the year: the cumulative count to the as-of date, the straight line from zero on
    利用開始日 to the target on 利用終了日, and the projection at the recent pace. Solid, dashed and dotted, so the
    three lines stay apart when printed in grey."""
    import matplotlib.dates as mdates

    with matplotlib.rc_context(_rc()):
        fig = _figure(3.0, bottom_in=0.75, top_in=0.15, right_in=0.95)  # room for the end labels
        fig.subplots_adjust(left=0.75 / WIDTH_IN)
        ax = fig.add_subplot()
        ax.plot([start, end], [0, target], color="#7F7F7F", linestyle="--", linewidth=1.1)
        if days:
            ax.plot(list(days), list(cumulative), color=BLUE, linewidth=1.8)
        handles = [Line2D([], [], color=BLUE, linewidth=1.8, label="実績（累計）"),
                   Line2D([], [], color="#7F7F7F", linestyle="--", label=f"目標{target:,}回への直線")]
        if days and as_of < end:
            last = days[-1]
            ax.plot([last, end], [cumulative[-1], projected], color=ORANGE, linestyle=":", linewidth=1.8)
            ax.text(end, projected, f" 見込み {projected:,}", va="center", ha="left", fontsize=7, color=ORANGE)
            handles.append(Line2D([], [], color=ORANGE, linestyle=":", linewidth=1.8, label="今のペースでの見込み"))
        if days:
            ax.annotate(f"{cumulative[-1]:,}", (days[-1], cumulative[-1]), textcoords="offset points", xytext=(-4, 6),
                        ha="right", fontsize=7, color=BLUE)
        ax.text(end, target, f" 目標 {target:,}", va="bottom", ha="left", fontsize=7, color="#404040")
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", color="#D9D9D9", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.set_xlim(start, end)
        ax.set_ylim(0, max([target, projected, *cumulative, 1]) * 1.12)
        ax.xaxis.set_major_locator(mdates.MonthLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{mdates.num2date(v).month}月"))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.tick_params(labelsize=8)
        ax.set_ylabel("利用回数（回）")
        ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0), bbox_transform=fig.transFigure,
                  ncol=3, frameon=False)
        return _png(fig)
