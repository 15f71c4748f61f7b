"""`python -m mlpkit.sandbox`: whether and how this machine sandboxes student code (exit 1 if it cannot)."""
import sys

from mlpkit.sandbox import machine
from mlpkit.sandbox.plan import interpreter_folders


def main():
    usable, detail = machine.probe()
    print(f"sandbox usable: {usable} ({detail})")
    print(f"uid separation: {machine.uid_separation_available()}")
    print(f"seccomp filter (no unix sockets): {machine.seccomp_available()}")
    print(f"interpreter folders: {interpreter_folders()}")
    return 0 if usable else 1


sys.exit(main())
