"""The module: the syscalls that load and unload it (through libc.LIBC),
its parameters and reference count under /sys/module/xeth."""
SYS_FINIT_MODULE = 313  # x86_64
SYS_DELETE_MODULE = 176


def read_param(name):
    try:
        with open(f"/sys/module/xeth/parameters/{name}") as f:
            return int(f.read())
    except (OSError, ValueError):
        return None


def read_refcnt():
    try:
        with open("/sys/module/xeth/refcnt") as f:
            return int(f.read())
    except (OSError, ValueError):
        return None
