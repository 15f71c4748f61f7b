"""mlpkit collect: folders and LMS zips into submitted/<student>/mlp_lab/mlp_lab.ipynb."""
import zipfile

import pytest

from mlpkit.cli import main
from mlpkit.commands.collect import collect


@pytest.fixture
def downloads(tmp_path, shared_toy_course):
    """A folder as an instructor gets it: three naming styles and some junk."""
    release = shared_toy_course.release_nb_path.read_bytes()
    d = tmp_path / "downloads"
    d.mkdir()
    (d / "alice.ipynb").write_bytes(release)
    (d / "bob_smith_mlp_lab.ipynb").write_bytes(release + b" ")
    (d / "carol" / "mlp_lab").mkdir(parents=True)
    (d / "carol" / "mlp_lab" / "mlp_lab.ipynb").write_bytes(release)
    (d / "carol" / "mlp_lab" / "notes.py").write_text("x = 1\n")
    (d / "dave").mkdir()
    (d / "dave" / "My Lab.ipynb").write_bytes(release)
    (d / "alice (1).ipynb").write_bytes(release)         # LMS duplicate: not a usable name
    (d / "README.txt").write_text("not a submission")
    (d / "erin").mkdir()                                  # empty folder
    return d


def _course(tmp_path, shared_toy_course):
    from conftest import new_course
    course = new_course(tmp_path / "course")
    return course


def test_collect_a_folder_imports_each_style_and_lists_the_rest(tmp_path, shared_toy_course, downloads):
    course = _course(tmp_path, shared_toy_course)
    found, problems = collect(course, downloads)
    assert found == {"alice": "imported", "bob_smith": "imported", "carol": "imported",
                     "dave": "imported from My Lab.ipynb (the only notebook; saved as mlp_lab.ipynb)"}
    for student in found:
        assert course.submission_path(student).is_file()
        assert (course.submission_path(student).parent / "timestamp.txt").is_file()
    assert (course.submitted_dir / "carol" / "mlp_lab" / "notes.py").read_text() == "x = 1\n"
    assert sorted(name for name, _ in problems) == ["README.txt", "alice (1).ipynb", "erin/"]
    assert all(reason for _, reason in problems)


def test_collect_a_zip_with_a_wrapping_folder(tmp_path, shared_toy_course, downloads):
    course = _course(tmp_path, shared_toy_course)
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in downloads.rglob("*"):
            if f.is_file():
                zf.write(f, "export/" + str(f.relative_to(downloads)))
    found, problems = collect(course, archive)
    assert set(found) == {"alice", "bob_smith", "carol", "dave"}
    assert len(problems) == 2          # the empty folder is not in the zip


def test_collect_with_an_lms_pattern(tmp_path, shared_toy_course):
    course = _course(tmp_path, shared_toy_course)
    d = tmp_path / "moodle"
    d.mkdir()
    (d / "frank_1234_assignsubmission_file_lab.ipynb").write_bytes(shared_toy_course.release_nb_path.read_bytes())
    found, problems = collect(course, d, regexp=r"(?P<student_id>[a-z]+)_\d+_assignsubmission_file_.*")
    assert found == {"frank": "imported"} and problems == []


def test_a_changed_submission_is_replaced_only_with_update(tmp_path, shared_toy_course, downloads):
    course = _course(tmp_path, shared_toy_course)
    collect(course, downloads)
    first = course.submission_path("alice").read_bytes()
    (downloads / "alice.ipynb").write_bytes(first + b"\n")
    found, _ = collect(course, downloads)
    assert found["alice"].startswith("skipped") and found["carol"] == "unchanged"
    assert course.submission_path("alice").read_bytes() == first
    found, _ = collect(course, downloads, update=True)
    assert found["alice"].startswith("updated")
    assert course.submission_path("alice").read_bytes() == first + b"\n"
    assert [p.read_bytes() for p in (course.grading_dir / "replaced").iterdir()] == [first]


def test_two_submissions_of_one_student_are_both_held_back(tmp_path, shared_toy_course):
    course = _course(tmp_path, shared_toy_course)
    d = tmp_path / "dups"
    d.mkdir()
    (d / "gina.ipynb").write_text("{}")
    (d / "gina_mlp_lab.ipynb").write_text("{}")
    found, problems = collect(course, d)
    assert found == {} and "a second submission for gina" in problems[0][1]


def test_cli_exit_code_and_report(tmp_path, shared_toy_course, downloads, capsys):
    course = _course(tmp_path, shared_toy_course)
    assert main(["--course", str(course.root), "collect", str(downloads)]) == 1   # junk was listed
    out, err = capsys.readouterr()
    assert "4 imported" in out and "alice (1).ipynb: name not recognised" in err
    assert main(["--course", str(course.root), "collect", str(tmp_path / "nope")]) == 2


def test_the_timestamp_is_the_file_time_in_a_format_nbgrader_reads(tmp_path, shared_toy_course, downloads):
    import datetime
    import os
    from nbgrader.utils import parse_utc
    course = _course(tmp_path, shared_toy_course)
    os.utime(downloads / "alice.ipynb", (1_700_000_000, 1_700_000_000))
    collect(course, downloads)
    stamp = (course.submission_path("alice").parent / "timestamp.txt").read_text()
    assert parse_utc(stamp) == datetime.datetime(2023, 11, 14, 22, 13, 20)


def _students(course):
    with course.gradebook() as gb:
        return {s.id: (s.first_name, s.last_name, s.email) for s in gb.students}


def test_the_roster_names_students_in_the_gradebook(tmp_path, shared_toy_course, downloads, capsys):
    course = _course(tmp_path, shared_toy_course)
    (course.root / "roster.csv").write_text("id,first_name,last_name,email\n"
                                            "alice,Alice,Liddell,alice@example.org\n"
                                            "carol,Carol,Danvers,\n")
    # The course's roster.csv is the default.
    assert main(["--course", str(course.root), "collect", str(downloads)]) == 1   # junk is listed
    out, err = capsys.readouterr()
    assert "2 student(s) named from" in out
    assert "not on the roster (imported anyway): bob_smith, dave" in err
    students = _students(course)
    assert students["alice"] == ("Alice", "Liddell", "alice@example.org")
    assert students["carol"] == ("Carol", "Danvers", None)


def test_without_a_roster_nobody_has_a_name(tmp_path, shared_toy_course, downloads):
    # The check above can fail: nbgrader itself knows no names ("None, None" in the formgrader).
    course = _course(tmp_path, shared_toy_course)
    collect(course, downloads)
    assert course.gradebook_path.exists() is False or all(
        names == (None, None, None) for names in _students(course).values())


@pytest.mark.parametrize("text, message", [
    ("first_name,last_name\nAlice,Liddell\n", "needs a header row with an `id` column"),
    ("id,first_name\nalice,Alice\nalice,Again\n", "line 3: alice is listed twice"),
    ("id,first_name\n../etc,Eve\n", "line 2: '../etc' is not a usable student id"),
])
def test_a_bad_roster_is_a_clear_error_and_records_nothing(tmp_path, shared_toy_course, text, message, capsys):
    course = _course(tmp_path, shared_toy_course)
    roster = tmp_path / "class.csv"
    roster.write_text(text)
    assert main(["--course", str(course.root), "collect", "--roster", str(roster)]) == 2
    assert message in capsys.readouterr().err
    assert not course.gradebook_path.exists() or _students(course) == {}


def test_lms_file_names_give_names_and_timestamps(tmp_path, shared_toy_course):
    import datetime
    from nbgrader.utils import parse_utc
    course = _course(tmp_path, shared_toy_course)
    d = tmp_path / "lms"
    d.mkdir()
    release = shared_toy_course.release_nb_path.read_bytes()
    (d / "hliu_Hao_Liu_2026-12-17-08-30-00_mlp_lab.ipynb").write_bytes(release)
    regexp = (r"(?P<student_id>[a-z]+)_(?P<first_name>[A-Z][a-z]+)_(?P<last_name>[A-Z][a-z]+)_"
              r"(?P<timestamp>\d{4}-\d\d-\d\d)-(?P<hms>[\d-]+)_(?P<file_id>mlp_lab)\.ipynb")
    found, problems = collect(course, d, regexp=regexp)
    assert found == {"hliu": "imported"} and problems == []
    assert _students(course)["hliu"] == ("Hao", "Liu", None)
    stamp = (course.submission_path("hliu").parent / "timestamp.txt").read_text()
    assert parse_utc(stamp) == datetime.datetime(2026, 12, 17)


def test_zip_members_keep_their_times_and_exchange_timestamps_are_kept(tmp_path, shared_toy_course):
    import datetime
    from nbgrader.utils import parse_utc
    course = _course(tmp_path, shared_toy_course)
    archive = tmp_path / "export.zip"
    release = shared_toy_course.release_nb_path.read_bytes()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(zipfile.ZipInfo("ivy.ipynb", date_time=(2026, 12, 16, 9, 15, 0)), release)
        zf.writestr("jon/mlp_lab/mlp_lab.ipynb", release)
        zf.writestr("jon/mlp_lab/timestamp.txt", "2026-12-15 10:00:00.000000 UTC")
    found, _ = collect(course, archive)
    assert set(found) == {"ivy", "jon"}
    stamp = lambda s: parse_utc((course.submission_path(s).parent / "timestamp.txt").read_text())  # noqa: E731
    assert stamp("ivy") == datetime.datetime(2026, 12, 16, 9, 15)
    assert stamp("jon") == datetime.datetime(2026, 12, 15, 10, 0)


def test_collect_brings_only_the_students_own_files(tmp_path, shared_toy_course, downloads):
    """A symlink to the source notebook, a pipe and a file over the cap stay out of submitted/,
    each listed with its reason; the student's own files still come along."""
    import os
    course = _course(tmp_path, shared_toy_course)
    source = shared_toy_course.source_nb_path
    carol = downloads / "carol" / "mlp_lab"
    (carol / "notes.txt").symlink_to(source)
    (carol / "judges").symlink_to(source.parent, target_is_directory=True)
    os.mkfifo(carol / "pipe")
    (carol / "big.bin").write_bytes(b"0" * 2048)
    (course.root / "nbgrader_config.py").write_text(
        (course.root / "nbgrader_config.py").read_text() + "\nc.GradingLimits.extra_file_bytes = 1024\n")
    (downloads / "frank").mkdir()
    (downloads / "frank" / "mlp_lab.ipynb").symlink_to(source)   # the notebook itself a link
    (downloads / "grace.ipynb").symlink_to(source)
    found, problems = collect(course, downloads)
    assert "frank" not in found and "grace" not in found
    dest = course.submitted_dir / "carol" / "mlp_lab"
    assert (dest / "notes.py").read_text() == "x = 1\n"
    assert sorted(p.name for p in dest.iterdir()) == ["mlp_lab.ipynb", "notes.py", "timestamp.txt"]
    secret = source.read_bytes()
    assert not any(f.is_file() and f.read_bytes() == secret
                   for f in course.submitted_dir.rglob("*") if f.name != "mlp_lab.ipynb")
    reasons = dict(problems)
    assert "symbolic link" in reasons["carol/notes.txt"] and "symbolic link" in reasons["carol/judges"]
    assert "regular file" in reasons["carol/pipe"]
    assert "extra_file_bytes" in reasons["carol/big.bin"]
    assert "symbolic link" in reasons["frank/"] and "symbolic link" in reasons["grace.ipynb"]


def test_collect_a_zip_with_a_symlink_member_brings_no_target(tmp_path, shared_toy_course):
    """zipfile writes a link member as a small file holding the link's text, never its target."""
    course = _course(tmp_path, shared_toy_course)
    source = shared_toy_course.source_nb_path
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("carol/mlp_lab.ipynb", shared_toy_course.release_nb_path.read_bytes())
        link = zipfile.ZipInfo("carol/notes.txt")
        link.external_attr = (0o120777 << 16)      # a symlink member
        zf.writestr(link, str(source))
    found, problems = collect(course, archive)
    assert found == {"carol": "imported"}
    notes = course.submitted_dir / "carol" / "mlp_lab" / "notes.txt"
    assert not notes.is_symlink() and notes.read_text() == str(source)


def test_collect_a_renamed_notebook_in_the_assignment_folder(tmp_path, shared_toy_course):
    course = _course(tmp_path, shared_toy_course)
    d = tmp_path / "downloads"
    (d / "hank" / "mlp_lab").mkdir(parents=True)
    (d / "hank" / "mlp_lab" / "MLP_Lab (1).ipynb").write_bytes(shared_toy_course.release_nb_path.read_bytes())
    found, problems = collect(course, d)
    assert found == {"hank": "imported from MLP_Lab (1).ipynb (the only notebook; saved as mlp_lab.ipynb)"}
    assert course.submission_path("hank").read_bytes() == shared_toy_course.release_nb_path.read_bytes()
    assert problems == []
