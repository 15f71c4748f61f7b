"""The class report: one self-contained HTML file (figures embedded as PNG) and a CSV of its tables.

    html, csv = write_report(course, out_dir=None)   # default: <course>/reports/

`mlpkit report` calls it. The tables are analysis.py's; the figures are matplotlib's (Agg),
embedded as base64 `data:` URIs, and the page links nothing outside itself (no CDN, no
script, no remote font), so it can be mailed or opened offline. The CSV holds the same tables,
one after another, with a first column `table` naming each.
"""
import base64
import html
import io
from datetime import datetime, timezone
from pathlib import Path

import matplotlib
import pandas as pd

from mlpkit.gradebook.analysis import class_tables

matplotlib.use("Agg")   # no display: the report is written, never shown
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

STYLE = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;font-size:0.9em;margin:0.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;
text-align:left;vertical-align:top}th{background:#f0f0f0}img{max-width:100%}.note{color:#555;font-size:0.9em}"""


def png(fig):
    """The figure as an embeddable data URI (and closed)."""
    buffer = io.BytesIO()
    # metadata off: matplotlib would otherwise write its web address into every PNG
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def score_figure(students):
    """Histograms of the core and bonus totals, and one box per task."""
    tasks = [c for c in students.columns if c.startswith("task") and not c.endswith("_reflection")]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
    for ax, (col, top) in zip(axes, [("core_total", "core_max"), ("bonus_total", "bonus_max")]):
        ax.hist(students[col], bins=min(20, max(5, len(students) // 3)), color="#4c72b0")
        ax.set(title=f"{col.split('_')[0]} points (of {students[top].max():g})", xlabel="points", ylabel="students")
    axes[2].boxplot([students[t] for t in tasks], tick_labels=tasks)
    axes[2].set(title="points per task (bonus: task3)", ylabel="points")
    return png(fig)


def item_figure(items):
    """Pass rate and discrimination per cell, side by side."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, max(3, 0.28 * len(items) + 1)), sharey=True)
    y = range(len(items))
    left.barh(y, items["pass_rate"], color="#55a868")
    left.set(yticks=list(y), yticklabels=items["cell"], xlim=(0, 1), xlabel="pass rate (difficulty)")
    left.invert_yaxis()
    right.barh(y, items["discrimination"].fillna(0), color="#c44e52")
    right.axvline(0.2, color="#888", linestyle="--", linewidth=1)
    right.set(xlim=(-1, 1), xlabel="point-biserial discrimination (dashed: 0.2)")
    return png(fig)


def cause_figure(causes):
    """How many students each likely cause was matched for."""
    fig, ax = plt.subplots(figsize=(13, max(2.5, 0.35 * len(causes) + 1)))
    labels = [f"{t}: {c[:70]}{'...' if len(c) > 70 else ''}" for t, c in zip(causes["task"], causes["cause"])]
    ax.barh(range(len(causes)), causes["count"], color="#8172b2")
    ax.set(yticks=list(range(len(causes))), yticklabels=labels, xlabel="students")
    ax.invert_yaxis()
    if causes.empty:
        ax.text(0.5, 0.5, "no likely cause matched", ha="center", va="center", transform=ax.transAxes)
    return png(fig)


def timing_figure(timing):
    """Seconds per student to grade (cache hits did not run the notebook)."""
    fig, ax = plt.subplots(figsize=(6.5, 3))
    ax.hist(timing["total_seconds"], bins=20, color="#937860")
    ax.set(title="grading time per student", xlabel="seconds (normalize + nbgrader autograde)", ylabel="students")
    return png(fig)


def html_table(df):
    return df.to_html(index=False, na_rep="-", float_format=lambda x: f"{x:g}", escape=True, border=0)


def render(course, tables):
    """The report's HTML text."""
    students, items, causes = tables["students"], tables["items"], tables["causes"]
    timing, flagged = tables["timing"], tables["flagged"]
    total = timing["total_seconds"].sum() if not timing.empty else 0
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        f"<h1>{html.escape(course.assignment)}: class report</h1>",
        f"<p class=note>{len(students)} students; written {when} by <code>mlpkit report</code> from "
        "gradebook.db and grading/*.json.</p>",
        "<h2>Scores</h2>", f"<img alt='score distributions' src='{score_figure(students)}'>",
        html_table(students[["core_total", "bonus_total", "total"]].describe().round(2).reset_index()),
        "<h2>Item analysis</h2><p class=note>Pass rate: share of students with the cell's full points. "
        "Discrimination: point-biserial correlation of passing the cell with the points of the other "
        "autograded cells of its kind (core, or the Task 3 bonus); below 0.2 the cell hardly separates strong from weak students, "
        "'-' when everyone passed or everyone failed.</p>",
        f"<img alt='item analysis' src='{item_figure(items)}'>", html_table(items),
        "<h2>Likely causes</h2><p class=note>Failed checks matched against the catalogue of known bugs "
        "(judges/*_causes.json); students with no close match are not listed.</p>",
        f"<img alt='likely causes' src='{cause_figure(causes)}'>", html_table(causes),
        "<h2>Flagged students</h2>", html_table(flagged) if not flagged.empty else "<p>None.</p>",
        "<h2>Grading time</h2>",
        f"<p>{total:.1f} s in all over {len(timing)} students (per-student sums; workers grade in parallel).</p>",
        f"<img alt='grading time' src='{timing_figure(timing)}'>" if not timing.empty else "",
        "<h2>Students</h2>", html_table(students)]
    body = "\n".join(parts)
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(course.assignment)} "
            f"class report</title><style>{STYLE}</style></head><body>{body}</body></html>\n")


def write_csv(tables, path):
    """The tables one after another, with a first column naming each."""
    frames = [df.assign(table=name)[["table", *df.columns]] for name, df in tables.items()]
    pd.concat(frames, ignore_index=True).to_csv(path, index=False)


def write_report(course, out_dir=None):
    """(html path, csv path) of the report of `course`, written into out_dir (default <course>/reports)."""
    out = Path(out_dir) if out_dir else course.root / "reports"
    out.mkdir(parents=True, exist_ok=True)
    tables = class_tables(course)
    html_path, csv_path = out / f"{course.assignment}_report.html", out / f"{course.assignment}_report.csv"
    html_path.write_text(render(course, tables), encoding="utf-8")
    write_csv(tables, csv_path)
    return html_path, csv_path
