"""The files a student hands in beside the notebook: which come along, which are refused and why.

Only the student's own regular files come back on any path: a symlink could pull any file of
the grader's machine (the source notebook with its solutions, judges/) into submitted/,
autograded/ and the student's feedback; a pipe or device could hang or flood the copy; a huge
file could fill the disk. So every path that copies a student's folder sorts it here first:

- `mlpkit collect` copies only the kept files (mlpkit/commands/collect.py);
- `mlpkit autograde` stages only the kept files (mlpkit/staging/stage.py);
- nbgrader's own converters (`nbgrader autograde`, `nbgrader generate_feedback` and the
  formgrader's buttons) copy the whole input folder with `shutil.copy`, which follows links: the
  course's nbgrader_config.py runs mlpkit/preprocessors/own_files.py's hooks before they copy,
  which `quarantine` refused entries: moved out of the input folder into
  grading/refused/<student>/<assignment>/ (nothing is deleted) with a REFUSED.txt that says why.

    from mlpkit.staging.beside import sort_folder
    kept, refused = sort_folder(folder, limits)   # [relative paths], [(relative path, reason)]

The caps are GradingLimits.extra_file_bytes and extra_total_bytes (mlpkit/limits.py).
"""
import fnmatch
import os
import shutil
import stat
from pathlib import Path

from mlpkit.limits import GradingLimits

# Never copied, never a reason to complain: checkpoints, caches and hidden files (nbgrader's
# own CourseDirectory.ignore in nbgrader_config.py), and the notebooks (copied on their own).
SKIPPED = [".ipynb_checkpoints", "*.pyc", "__pycache__", ".*", "__MACOSX"]
REFUSED_DIR = "refused"
REFUSED_NOTE = "REFUSED.txt"


def _skipped(name, patterns=SKIPPED):
    return any(fnmatch.fnmatch(name, pattern) for pattern in patterns)


def _kind(mode):
    if stat.S_ISLNK(mode):
        return "a symbolic link (it could point at any file of the grading machine)"
    if stat.S_ISDIR(mode):
        return None
    if not stat.S_ISREG(mode):
        return "not a regular file (a pipe, socket or device)"
    return None


def _too_big(size, total, limits):
    if size > limits.extra_file_bytes:
        return f"larger than {limits.extra_file_bytes:,} bytes (GradingLimits.extra_file_bytes)"
    if total + size > limits.extra_total_bytes:
        return (f"the files beside the notebook would pass {limits.extra_total_bytes:,} bytes "
                f"(GradingLimits.extra_total_bytes)")
    return None


def sort_folder(folder, limits=None, keep_notebooks=False, skipped=SKIPPED):
    """Sort a student's folder: ([kept relative paths], [(relative path, reason)]).

    Never follows a link: a linked folder is refused whole. Notebooks are left out of both lists
    (collect and stage copy the notebook themselves); with `keep_notebooks`, a notebook that is a
    link or a special file is refused too (nbgrader's converters would read through it).
    `skipped`: name patterns neither kept nor refused (for nbgrader's converters: exactly the
    course's CourseDirectory.ignore, the names they do not copy)."""
    limits = limits or GradingLimits()
    folder = Path(folder)
    kept, refused, total = [], [], 0
    for dirpath, dirnames, filenames in os.walk(folder):   # os.walk never descends into links
        here = Path(dirpath)
        for name in list(dirnames):
            if _skipped(name, skipped) or os.path.islink(here / name):
                dirnames.remove(name)
            if not _skipped(name, skipped) and os.path.islink(here / name):
                refused.append((str((here / name).relative_to(folder)), _kind(stat.S_IFLNK)))
        dirnames.sort()
        for name in sorted(filenames):
            rel = str((here / name).relative_to(folder))
            notebook = name.endswith(".ipynb")
            if _skipped(name, skipped) or (notebook and not keep_notebooks):
                continue
            info = os.lstat(here / name)
            reason = _kind(info.st_mode)
            if reason is None and not notebook:   # notebooks are checked by their own rules
                reason = _too_big(info.st_size, total, limits)
                total += 0 if reason else info.st_size
            if reason:
                refused.append((rel, reason))
            elif not notebook:
                kept.append(rel)
    return kept, refused


def find_submission(expected):
    """(the notebook to grade or None, [notes]): `expected` (submitted/<student>/<assignment>/
    mlp_lab.ipynb), else the folder's only notebook under another name (`MLP_Lab (1).ipynb`);
    never one reached through a link (it could be the source notebook, solutions and all)."""
    expected = Path(expected)
    folder, notes = expected.parent, []
    found = expected if os.path.lexists(expected) else None
    if found is None and folder.is_dir():
        others = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
        if len(others) == 1:
            found = others[0]
            notes.append(f"graded {found.name}: the only notebook handed in (expected {expected.name})")
        elif others:
            notes.append(f"no {expected.name}, and {len(others)} other notebooks "
                         f"({', '.join(p.name for p in others)}): graded as missing")
    if found is not None and any(os.path.islink(p) for p in (found, folder, folder.parent)):
        notes.append(f"refused {found.name}: reached through a symbolic link, so not the student's "
                     "own file; graded as missing")
        found = None
    elif found is not None and not found.is_file():
        notes.append(f"refused {found.name}: not a regular file; graded as missing")
        found = None
    return found, notes


def copy_kept(folder, kept, dest):
    """Copy the kept files (never through a link: each was checked by sort_folder)."""
    for rel in kept:
        target = Path(dest) / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(folder) / rel, target, follow_symlinks=False)


def describe(refused):
    """One line per refused entry, for records and logs."""
    return [f"not copied: {rel}: {reason}" for rel, reason in refused]


def quarantine(folder, refused, dest):
    """Move refused entries (a link moves as the link) from `folder` to `dest`; note why there."""
    if not refused:
        return
    dest = Path(dest)
    for rel, _ in refused:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if os.path.lexists(target):
            target.unlink() if not target.is_dir() or target.is_symlink() else shutil.rmtree(target)
        os.rename(Path(folder) / rel, target)
    with open(dest / REFUSED_NOTE, "a", encoding="utf-8") as note:
        note.write("".join(line + "\n" for line in describe(refused)))
