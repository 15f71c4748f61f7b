"""Cheat: a later solution cell prints the kernel's input history (the hidden tests' probes
included) and writes it to files, hoping to get the hidden tests back in the feedback or the
autograded folder."""
LATER_CELL = "task2_l2_momentum_solution"
LATER = '''
import pathlib
history = "\\n".join(get_ipython().user_ns.get("_ih", []))
print(history)
for folder in (pathlib.Path.cwd(), pathlib.Path("/tmp"), pathlib.Path.home()):
    try:
        (folder / "exfiltrated.txt").write_text(history)
    except OSError:
        pass
'''
