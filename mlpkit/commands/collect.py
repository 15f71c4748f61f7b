"""`mlpkit collect <folder|zip>`: import submissions into submitted/<student>/mlp_lab/.

    mlpkit collect downloads/                 # a folder of notebooks, or of student folders
    mlpkit collect lms_export.zip             # the same inside a zip
    mlpkit collect export.zip --regexp '(?P<student_id>[^_]+)_\\d+_assignsubmission_file_.*'
    mlpkit collect downloads/ --update        # replace changed submissions (old copy kept)
    mlpkit collect downloads/ --roster class.csv   # also record names (default: roster.csv)
    mlpkit collect --roster class.csv         # only record the names

Recognised, per student:
- `<student>.ipynb` or `<student>_mlp_lab.ipynb` (files at the top level);
- a folder `<student>/` holding one notebook (`mlp_lab.ipynb`, or
  `mlp_lab/mlp_lab.ipynb`, or one notebook under another name, e.g. `MLP_Lab (1).ipynb`,
  saved as mlp_lab.ipynb and named in the output); the student's other files in it come
  along, but never a symbolic link, a special file or a file over the size caps
  (GradingLimits.extra_file_bytes / extra_total_bytes; mlpkit/staging/beside.py): those are
  listed as not imported.
Names are matched with nbgrader's `FileNameCollectorPlugin` (the plugin behind
`nbgrader zip_collect`); `--regexp` takes an LMS-specific pattern with a
`student_id` group. Anything unrecognised is listed with the reason, and the
rest is imported anyway (exit code 1 then). A changed submission is only
replaced with `--update`; the previous copy goes to grading/replaced/.

Names and times, so that the formgrader shows them:
- the roster (`--roster`, default `roster.csv` at the course root when present;
  mlpkit/gradebook/roster.py) is a CSV with a header `id,first_name,last_name,email`
  (nbgrader's own student-import format; only `id` is required); every row is recorded
  in gradebook.db;
- `first_name`, `last_name` and `email` groups of `--regexp` (nbgrader's
  FileNameCollectorPlugin groups) name students the roster does not;
- `timestamp.txt` (read by nbgrader for the submission time and late flags) is kept
  when a student folder brings one (nbgrader's exchange writes it), else taken from a
  `timestamp` group of `--regexp`, else from the file's time (in a zip: the member's
  time, read as UTC).
"""
import calendar
import os
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from nbgrader.plugins import FileNameCollectorPlugin
from nbgrader.utils import parse_utc

from mlpkit.course import ASSIGNMENT, NOTEBOOK, Course, CourseError
from mlpkit.limits import GradingLimits
from mlpkit.staging.beside import copy_kept, find_submission, sort_folder
from mlpkit.gradebook.roster import ROSTER_FIELDS, STUDENT_ID, default_roster, import_roster, record_students

DEFAULT_REGEXP = r"^(?P<student_id>[A-Za-z0-9][A-Za-z0-9.@-]*(?:_[A-Za-z0-9.@-]+)*?)(?:_(?P<file_id>mlp_lab))?\.ipynb$"


def add_arguments(parser):
    parser.add_argument("source", type=Path, nargs="?", help="a folder of submissions or an LMS zip")
    parser.add_argument("--regexp", default=DEFAULT_REGEXP,
                        help="file name pattern with a (?P<student_id>...) group (default: %(default)s)")
    parser.add_argument("--update", action="store_true", help="replace submissions that changed")
    parser.add_argument("--roster", type=Path, default=None,
                        help="CSV with id,first_name,last_name,email (default: <course>/roster.csv if present)")


def run(args):
    course = Course(args.course)
    roster = args.roster or default_roster(course)
    if args.source is None and roster is None:
        print("collect: give a folder or zip of submissions, or --roster CSV", file=sys.stderr)
        return 2
    try:
        named = import_roster(course, roster) if roster else {}
        if roster:
            print(f"{len(named)} student(s) named from {roster}")
        if args.source is None:
            return 0
        found, problems = collect(course, args.source, regexp=args.regexp, update=args.update)
    except CourseError as exc:
        print(f"collect: {exc}", file=sys.stderr)
        return 2
    unnamed = sorted(s for s in found if s not in named) if roster else []
    if unnamed:
        print(f"not on the roster (imported anyway): {', '.join(unnamed)}", file=sys.stderr)
    for student, action in sorted(found.items()):
        print(f"{student:<24} {action}")
    if problems:
        print(f"\nnot imported ({len(problems)}):", file=sys.stderr)
        for name, why in problems:
            print(f"  {name}: {why}", file=sys.stderr)
    print(f"\n{sum(a.startswith('imported') or a.startswith('updated') for a in found.values())} imported, "
          f"{len(problems)} not recognised or skipped.")
    return 1 if problems else 0


def collect(course, source, *, regexp=DEFAULT_REGEXP, update=False):
    """Import from a folder or zip. Returns ({student: action}, [(name, reason)])."""
    source = Path(source)
    if not source.exists():
        raise CourseError(f"{source} does not exist")
    if source.is_file():
        if not zipfile.is_zipfile(source):
            raise CourseError(f"{source} is neither a folder nor a zip file")
        with tempfile.TemporaryDirectory(prefix="mlpkit-collect-") as tmp:
            with zipfile.ZipFile(source) as zf:
                for member in zf.infolist():   # refuse absolute paths and `..` in member names
                    target = (Path(tmp) / member.filename).resolve()
                    if not str(target).startswith(str(Path(tmp).resolve())):
                        raise CourseError(f"unsafe path in zip: {member.filename}")
                zf.extractall(tmp)
                for member in zf.infolist():   # extractall drops the times the timestamps come from
                    stamp = calendar.timegm(member.date_time + (0, 0, -1))
                    os.utime(Path(tmp) / member.filename, (stamp, stamp))
            return _collect_folder(course, _unwrap(Path(tmp)), regexp, update)
    return _collect_folder(course, source, regexp, update)


def _unwrap(folder):
    """A zip often holds a single top folder around everything: look inside it."""
    entries = [p for p in folder.iterdir() if not p.name.startswith((".", "__MACOSX"))]
    if len(entries) == 1 and entries[0].is_dir():
        inside = [p for p in entries[0].iterdir() if not p.name.startswith(".")]
        looks_like_one_student = (len([p for p in inside if p.suffix == ".ipynb"]) <= 1
                                  and all(p.name == ASSIGNMENT for p in inside if p.is_dir()))
        if not looks_like_one_student:
            return _unwrap(entries[0])
    return folder


def _collect_folder(course, folder, regexp, update):
    matcher = FileNameCollectorPlugin(named_regexp=regexp)
    limits = GradingLimits(config=course.load_config())
    candidates, problems = {}, []   # student -> (notebook path, folder of extra files or None)
    names, stamps = {}, {}          # from the regexp's optional groups
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.name in ("__MACOSX", ".ipynb_checkpoints"):
            continue
        if entry.is_symlink() or not (entry.is_dir() or entry.is_file()):
            problems.append((entry.name, "a symbolic link or special file, not a student's own file"))
            continue
        if entry.is_dir():
            student, (notebook, notes) = entry.name, _notebook_in(entry)
            if notebook is None:
                problems.append((entry.name + "/", "; ".join(notes) or "no notebook inside (expected mlp_lab.ipynb)"))
                continue
            item = (notebook, notebook.parent)
        elif entry.suffix == ".ipynb":
            info = matcher.collect(entry.name)
            if not info or not info.get("student_id"):
                problems.append((entry.name, "name not recognised (expected <student>.ipynb or "
                                             "<student>_mlp_lab.ipynb, or use --regexp)"))
                continue
            student, item = info["student_id"], (entry, None)
            names[student] = {k: info.get(k) for k in ROSTER_FIELDS}
            stamps[student] = info.get("timestamp")
        else:
            problems.append((entry.name, "not a notebook or a student folder"))
            continue
        if not STUDENT_ID.match(student):
            problems.append((entry.name, f"{student!r} is not a usable student id"))
        elif student in candidates:
            problems.append((entry.name, f"a second submission for {student} "
                                         f"(also {candidates[student][0].name}); both need a look"))
            candidates[student] = None
        else:
            candidates[student] = item
    found = {}
    for student, item in candidates.items():
        if item is None:
            continue
        found[student] = _install(course, student, *item, update=update, stamp=stamps.get(student),
                                  limits=limits, refusals=problems)
    named = {s: n for s, n in names.items() if s in found and any(n.values())}
    if named:
        record_students(course, named, overwrite=False)   # the roster, if any, has the last word
    return found, problems


def _notebook_in(folder):
    """The student's notebook in their folder: mlp_lab.ipynb (in mlp_lab/ or not), else the only
    notebook there under another name. A link is no student's own file (beside.find_submission)."""
    inner = folder / ASSIGNMENT
    place = inner if inner.is_dir() and not inner.is_symlink() else folder
    return find_submission(place / f"{NOTEBOOK}.ipynb")   # (notebook or None, notes)


def _install(course, student, notebook, extra_dir, update, stamp=None, limits=None, refusals=None):
    """Copy one submission into submitted/; what is refused beside it goes to `refusals`."""
    refusals = [] if refusals is None else refusals
    dest_dir = course.submitted_dir / student / course.assignment
    dest = dest_dir / f"{NOTEBOOK}.ipynb"
    if dest.exists():
        if dest.read_bytes() == notebook.read_bytes():
            return "unchanged"
        if not update:
            return "skipped: a different submission is already there (use --update)"
        backup = course.grading_dir / "replaced" / f"{student}-{time.strftime('%Y%m%d-%H%M%S')}.ipynb"
        backup.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(dest, backup)
        action = f"updated (previous copy in {backup.relative_to(course.root)})"
    else:
        action = "imported"
    dest_dir.mkdir(parents=True, exist_ok=True)
    if extra_dir is not None:   # only the student's own regular files, within the size caps
        kept, refused = sort_folder(extra_dir, limits)
        copy_kept(extra_dir, kept, dest_dir)
        refusals += [(f"{student}/{rel}", why) for rel, why in refused]
    shutil.copyfile(notebook, dest, follow_symlinks=False)
    shutil.copystat(notebook, dest, follow_symlinks=False)
    if extra_dir is not None and notebook.name != f"{NOTEBOOK}.ipynb":   # a renamed notebook in a folder
        action += f" from {notebook.name} (the only notebook; saved as {NOTEBOOK}.ipynb)"
    # nbgrader reads the submission time from timestamp.txt (formgrader, late penalties).
    if extra_dir is not None and (extra_dir / "timestamp.txt").is_file():
        return action      # the exchange's own record of when it was submitted
    (dest_dir / "timestamp.txt").write_text(submission_time(notebook, stamp))
    return action


def submission_time(notebook, stamp=None):
    """timestamp.txt text: the regexp's `timestamp` group if nbgrader can read it, else the file time."""
    if stamp:
        try:
            return parse_utc(stamp).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
        except (ValueError, OverflowError):
            pass
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(notebook.stat().st_mtime))
