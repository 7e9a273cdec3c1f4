"""libc through ctypes, for the system calls Python has no function for
(setns, finit_module, delete_module), and errno's names."""
import ctypes
import errno
import os

LIBC = ctypes.CDLL(None, use_errno=True)
LIBC.syscall.restype = ctypes.c_long


def oserror():
    e = ctypes.get_errno()
    return OSError(e, os.strerror(e))


def errname(e):
    return errno.errorcode.get(e, str(e))
