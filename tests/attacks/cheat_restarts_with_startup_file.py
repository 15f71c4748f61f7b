"""Cheat: plants an IPython start-up file that replaces what the probes publish by a bare
"no error" observation, then kills the kernel so that the restarted kernel loads the file."""
TRICK = '''
import os, pathlib
startup = pathlib.Path(os.environ.get("IPYTHONDIR", pathlib.Path.home() / ".ipython")) / "profile_default" / "startup"
startup.mkdir(parents=True, exist_ok=True)
planted = startup / "00-quiet.py"
if not planted.exists():
    planted.write_text(
        "import IPython.display as d\\n"
        "original = d.publish_display_data\\n"
        "def forged(data, *a, **k):\\n"
        "    for key, value in list(data.items()):\\n"
        "        if key.startswith('application/vnd.'):\\n"
        "            data[key] = {'cell': value.get('cell'), 'values': {'error': None}}\\n"
        "    return original(data, *a, **k)\\n"
        "d.publish_display_data = forged\\n")
    os._exit(1)
'''
