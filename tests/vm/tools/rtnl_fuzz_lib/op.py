"""One operation of the fuzzer, as a generator makes it."""


class Op:
    """One operation. cmd: an ip batch line, run in namespace ns; or py: a
    callable run by this process, returning (class, message). effect(world,
    class) applies what the kernel did to a model; bad(world) is why the
    request must be refused (None: it may pass); ours(world) says a refusal
    comes from the module's code, which must say why (extack)."""

    __slots__ = ("kind", "text", "ns", "cmd", "py", "effect", "bad", "ours", "sync", "moves", "alone")

    def __init__(self, kind, text, ns="", cmd=None, py=None, effect=None, bad=None,
                 ours=None, sync=False, moves=False, alone=False):
        self.kind, self.text, self.ns, self.cmd, self.py = kind, text, ns, cmd, py
        self.effect, self.bad, self.ours, self.sync, self.moves = effect, bad, ours, sync, moves
        # ip exits (in batch mode too) on some commands it cannot parse, a
        # multipath route through a device it cannot find, a namespace it
        # cannot open: such a command goes to ip alone, so that an exit
        # is its answer and not the loss of a batch
        self.alone = alone


def nothing(w, oc):
    pass
