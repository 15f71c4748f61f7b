"""Cheat: patches the kernel's run_cell and run_cell_async so that every later test cell runs
nothing and reports success, with no error shown."""
TRICK = '''
shell = get_ipython()
original_sync, original_async = shell.run_cell, shell.run_cell_async
skip = "".join(["Check", " that"])


def run_cell(raw_cell, *args, **kwargs):
    return original_sync("pass" if skip in raw_cell else raw_cell, *args, **kwargs)


async def run_cell_async(raw_cell, *args, **kwargs):
    return await original_async("pass" if skip in raw_cell else raw_cell, *args, **kwargs)


setattr(shell, "run_cell", run_cell)
setattr(shell, "run_cell_async", run_cell_async)
'''
