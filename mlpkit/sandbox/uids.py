"""Kernel uids: one per run, unique among the live grader processes of this machine.

pid_max is at most 2^22, so base + pid * 512 + k stays below 2^32 - 1; each process has
512 before one comes back. RLIMIT_NPROC then counts only that run's processes, and no run
can signal another's.
"""
import itertools
import os
import threading

_UID_BASE = 2_000_000_000
_UIDS_PER_PROCESS = 512
_uid_counter = itertools.count()
_uid_lock = threading.Lock()


def next_kernel_uid():
    with _uid_lock:
        k = next(_uid_counter) % _UIDS_PER_PROCESS
    return _UID_BASE + os.getpid() * _UIDS_PER_PROCESS + k
