"""The ABI tables against facts of the WASI preview1 specification."""

from kernel import abi


def test_every_preview1_function_once():
    names = [s.name for s in abi.SIGNATURES]
    assert len(names) == len(set(names)) == 46
    assert "sock_accept" not in abi.UNSTABLE_NAMES and len(abi.UNSTABLE_NAMES) == 45


def test_wasm_types_of_64_bit_parameters():
    def wasm(name):
        return [p.wasm for p in abi.BY_NAME[name].params]

    assert wasm("fd_seek") == ["i32", "i64", "i32", "i32"]
    assert wasm("path_open") == ["i32", "i32", "i32", "i32", "i32", "i64", "i64", "i32", "i32"]
    assert wasm("clock_time_get") == ["i32", "i64", "i32"]
    assert wasm("fd_readdir") == ["i32", "i32", "i32", "i64", "i32"]
    assert wasm("fd_filestat_set_times") == ["i32", "i64", "i64", "i32"]
    assert not abi.BY_NAME["proc_exit"].returns_errno


def test_struct_layouts():
    # Offsets of the last field and total sizes, as the witx definitions give them.
    assert abi.FILESTAT.size == 64 and abi.UNSTABLE_FILESTAT.size == 56
    raw = abi.FILESTAT.pack(1, 2, 4, 3, 5, 6, 7, 8)
    assert raw[16] == 4 and int.from_bytes(raw[56:64], "little") == 8
    raw = abi.EVENT.pack(9, 28, 1, 100, 1)
    assert raw[10] == 1 and int.from_bytes(raw[16:24], "little") == 100 and raw[24] == 1
    raw = abi.FDSTAT.pack(2, 1, abi.ALL_RIGHTS, 0)
    assert raw[0] == 2 and raw[2] == 1 and int.from_bytes(raw[8:16], "little") == abi.ALL_RIGHTS
    assert abi.DIRENT.size == 24 and abi.PRESTAT.size == 8 and abi.IOVEC.size == 8


def test_numbering():
    assert abi.Errno.NOTCAPABLE == 76 and abi.Errno.NOENT == 44 and abi.Errno.BADF == 8
    assert abi.Rights.SOCK_ACCEPT == 1 << 29 and abi.Rights.FD_READ == 2
    assert abi.UNSTABLE_WHENCE[2] == abi.Whence.SET and abi.Whence.SET == 0
    assert abi.Filetype.SYMBOLIC_LINK == 7 and abi.Signal.SYS == 30
