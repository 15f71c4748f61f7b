"""Cheat: wraps the probe so that every test publishes a forged observation saying it passed,
and publishes a second copy besides, in the private observation type."""
TRICK = '''
from IPython.display import publish_display_data
name = "".join(["pro", "be"])
honest_probe = globals()[name]


def forged(grade_id, observe):
    mime = "application/vnd." + "mlp-lab.observations+json"
    publish_display_data({mime: {"cell": grade_id, "values": {"error": None, "passed": True, "ok": True}}})


globals()[name] = forged
'''
