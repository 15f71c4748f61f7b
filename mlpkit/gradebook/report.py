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
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import matplotlib
import pandas as pd

from mlpkit.gradebook.analysis import class_tables

matplotlib.use("Agg")   # no display: the report is written, never shown
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)
from matplotlib.ticker import MaxNLocator  # noqa: E402

STYLE = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;font-size:0.9em;margin:0.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;
text-align:left;vertical-align:top}th{background:#f0f0f0}img{max-width:100%}.note{color:#555;font-size:0.9em}
table{display:block;max-width:100%;overflow-x:auto}"""   # a wide table scrolls, the page stays 1100 px


def png(fig):
    """The figure as an embeddable data URI (and closed)."""
    buffer = io.BytesIO()
    # metadata off: matplotlib would otherwise write its web address into every PNG
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def score_figure(students):
    """Histograms of the core and bonus totals, a box per core task and one for Task 3 (its own axis:
    0-17 points beside tasks of a few points would squash them); students counted in whole numbers."""
    tasks = [c for c in students.columns if c.startswith("task") and not c.endswith("_reflection")]
    core, bonus = [t for t in tasks if t != "task3"], [t for t in tasks if t == "task3"]
    fig, axes = plt.subplots(1, 4, figsize=(12, 3.2), gridspec_kw={"width_ratios": [3, 3, 3, 1]})
    for ax, (col, top) in zip(axes, [("core_total", "core_max"), ("bonus_total", "bonus_max")]):
        ax.hist(students[col], bins=min(20, max(5, len(students) // 3)), color="#4c72b0")
        ax.set(title=f"{col.split('_')[0]} points (of {students[top].max():g})", xlabel="points", ylabel="students")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    for ax, group, title in ((axes[2], core, "points per core task"), (axes[3], bonus, "bonus")):
        if group:
            ax.boxplot([students[t] for t in group], tick_labels=group)
        ax.set(title=title, ylabel="points")
    fig.tight_layout()
    return png(fig)


def item_figure(items):
    """Pass rate and discrimination per cell, side by side."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, max(3, 0.28 * len(items) + 1)), sharey=True)
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
    # Whole labels, wrapped (the table below has them too): a cut label hides what the cause is.
    labels = [textwrap.fill(f"{t}: {c}", 60) for t, c in zip(causes["task"], causes["cause"])]
    lines = sum(label.count("\n") + 1 for label in labels)
    fig, ax = plt.subplots(figsize=(12, max(2.5, 0.22 * lines + 0.15 * len(causes) + 1)))
    ax.barh(range(len(causes)), causes["count"], color="#8172b2")
    ax.set(yticks=list(range(len(causes))), yticklabels=labels, xlabel="students")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.invert_yaxis()
    if causes.empty:
        ax.text(0.5, 0.5, "no likely cause matched", ha="center", va="center", transform=ax.transAxes)
    return png(fig)


def timing_figure(timing):
    """Seconds per student to grade (cache hits did not run the notebook)."""
    fig, ax = plt.subplots(figsize=(6.5, 3))
    ax.hist(timing["total_seconds"], bins=20, color="#937860")
    ax.set(title="grading time per student", xlabel="seconds (normalize + nbgrader autograde)", ylabel="students")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    return png(fig)


def html_table(df):
    return df.to_html(index=False, na_rep="-", float_format=lambda x: f"{x:g}", escape=True, border=0)


def render(course, tables):
    """The report's HTML text."""
    students, items, causes = tables["students"], tables["items"], tables["causes"]
    timing, flagged, blank, manual = tables["timing"], tables["flagged"], tables["blank"], tables["manual"]
    total = timing["total_seconds"].sum() if not timing.empty else 0
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        f"<h1>{html.escape(course.assignment)}: class report</h1>",
        f"<p class=note>{len(students)} students; written {when} by <code>mlpkit report</code> from "
        "gradebook.db and grading/*.json.</p>",
        "<h2>Scores</h2>", f"<img alt='score distributions' src='{score_figure(students)}'>",
        html_table(students[["core_total", "bonus_total", "total"]].describe().round(2)
                   .rename_axis("statistic").reset_index()),
        waiting_note(manual), html_table(manual) if not manual.empty else "",
        "<h2>Item analysis</h2>", blank_note(blank),
        "<p class=note>Pass rate: share of the students counted (column <code>students</code>) with the "
        "cell's full points. Discrimination: point-biserial correlation of passing the cell with the points "
        "of the other autograded cells of its kind (core, or the Task 3 bonus); below 0.2 the cell hardly "
        "separates strong from weak students, '-' when everyone passed or everyone failed. A Task 3 cell "
        "counts only the students who attempted its optional part: those who left it as released "
        "(<code>not_attempted</code>) are left out of that cell's pass rate and discrimination.</p>",
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


def blank_note(blank):
    """The line that counts the blank submissions, which the item analysis leaves out."""
    if blank.empty:
        return "<p class=note>No blank submission.</p>"
    who = ", ".join(f"{s} ({w})" for s, w in zip(blank["student"], blank["why"]))
    return (f"<p><b>{len(blank)} blank submission(s)</b>, left out of the item analysis (nothing "
            f"written or nothing readable: every cell would count as a failure): {html.escape(who)}.</p>")


def waiting_note(manual):
    """How many manually graded cells still wait for a TA (they count 0 in the totals above)."""
    waiting = int(manual["waiting"].sum()) if not manual.empty else 0
    if not waiting:
        return "<p class=note>Every manually graded cell is graded.</p>"
    return (f"<p><b>{waiting} manually graded cell(s) not graded yet</b>: they count 0 in the totals above; "
            "the table gives each reflection's mean over the graded ones only.</p>")


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
