"""A hostile guest: every syscall with random arguments (hypothesis).

The kernel must never die, never raise, answer every call with a WASI errno, never log a
kernel bug, and leak no open file descriptions once the process has ended.
"""

import logging

import trio
import trio.testing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernel.abi import Errno
from kernel.file import make_pipe
from kernel.proc import Kernel
from kernel.socket import connect, listen
from kernel.syscalls import TABLE, dispatch

U32 = st.one_of(st.integers(0, 16), st.integers(0, 2**32 - 1))
U64 = st.one_of(st.integers(0, 64), st.integers(0, 2**64 - 1))
FD = st.one_of(st.integers(0, 9), U32)
PATH_TEXT = st.text(alphabet="ab./\0é", max_size=12)
PATH = st.one_of(PATH_TEXT, st.binary(max_size=8), st.sampled_from(["a", "d", "d/f", "l", ".."]))
SHAPES = {
    "fd": FD,
    "u32": U32,
    "u64": U64,
    "s64": st.integers(-(2**63), 2**64 - 1),
    "path": PATH,
    "lens": st.lists(st.integers(0, 5000), max_size=3),
    "bufs": st.lists(st.binary(max_size=64), max_size=3),
    "subs": st.lists(
        st.one_of(
            st.tuples(U64, st.just(0), st.integers(0, 4), st.integers(0, 10**10), U64, U32).map(
                list
            ),
            st.tuples(U64, st.integers(1, 2), FD).map(list),
        ),
        max_size=3,
    ),
}
GARBAGE = st.lists(
    st.one_of(st.none(), st.integers(), st.text(max_size=3), st.booleans()), max_size=8
)


@st.composite
def calls(draw):
    name = draw(st.sampled_from(sorted(TABLE)))
    if name == "proc_exit" or (name == "proc_raise"):
        name = "sched_yield"  # ending the process early would end the run's interest
    row = TABLE[name]
    if draw(st.integers(0, 9)) == 0:
        return name, draw(GARBAGE)
    return name, [draw(SHAPES[shape]) for _, shape in row.params]


class Bugs(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.records = []

    def emit(self, record):
        self.records.append(record)


async def run_hostile(program):
    kernel = Kernel(deterministic=True, seed=3)
    ns = kernel.namespace
    ns.root.mkdir("sb")
    sb = ns.lookup("/sb")
    sb.create("a", exclusive=True).write_at(0, b"hello")
    sb.mkdir("d")
    sb.symlink("l", "a")
    r, w = make_pipe()
    lst = listen(kernel, "svc")
    p = kernel.spawn(["hostile"], stdio=[r, w, None], preopens=[("/sb", sb)])
    p.fds.install(lst, lst.max_rights)
    connect(kernel, "svc").acquire()
    answers = []
    for name, args in program:
        if not p.running:
            break
        with trio.move_on_after(3600):  # mock time: a call that would block forever
            errno, results = await dispatch(p, name, args)
            assert isinstance(errno, int) and errno in set(Errno), (name, args, errno)
            assert isinstance(results, list)
            if errno:
                assert results == []
            answers.append(errno)
    kernel.exit(p, 0)
    assert len(p.fds) == 0
    assert r.pipe.readers == 0 and w.pipe.writers == 0  # stdio descriptions closed
    return answers


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(calls(), min_size=1, max_size=25))
def test_hostile_guest_never_breaks_the_kernel(program):
    bugs = Bugs()
    logger = logging.getLogger("wasios.kernel")
    logger.addHandler(bugs)
    try:
        trio.run(run_hostile, program, clock=trio.testing.MockClock(autojump_threshold=0))
    finally:
        logger.removeHandler(bugs)
    assert not bugs.records, bugs.records[0].getMessage() + str(bugs.records[0].exc_info)
