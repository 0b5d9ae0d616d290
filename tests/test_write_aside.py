"""``holistic.io.write_aside``: the files a block writes reach their targets together when the block
succeeds, and not at all when it fails (the previous files stay, byte for byte, no temporary left)."""

import pytest

from holistic.io import write_aside, write_json, write_text


def files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_nothing_reaches_a_target_before_the_block_ends(tmp_path):
    write_text(tmp_path / "a.txt", "old a")
    with write_aside():
        write_text(tmp_path / "a.txt", "new a")
        write_json(tmp_path / "sub" / "b.json", {"b": 1})
        assert (tmp_path / "a.txt").read_text() == "old a" and not (tmp_path / "sub" / "b.json").exists()
    assert files(tmp_path) == {"a.txt": b"new a", "sub/b.json": b'{\n  "b": 1\n}\n'}


def test_a_failing_block_leaves_the_previous_files_and_no_temporary(tmp_path):
    write_text(tmp_path / "a.txt", "old a")
    write_text(tmp_path / "b.txt", "old b")
    before = files(tmp_path)
    with pytest.raises(ValueError, match="late"):
        with write_aside():
            write_text(tmp_path / "a.txt", "new a")
            write_text(tmp_path / "c.txt", "new c")
            raise ValueError("late")
    assert files(tmp_path) == before


def test_a_file_written_twice_keeps_the_last_and_a_nested_block_joins_the_outer(tmp_path):
    with pytest.raises(KeyError):
        with write_aside():
            with write_aside():
                write_text(tmp_path / "a.txt", "first")
            assert not (tmp_path / "a.txt").exists()  # the inner block's end swaps nothing in
            raise KeyError("outer fails")
    assert files(tmp_path) == {}
    with write_aside():
        write_text(tmp_path / "a.txt", "first")
        write_text(tmp_path / "a.txt", "second")
    assert files(tmp_path) == {"a.txt": b"second"}


def test_outside_a_block_every_write_is_in_place_at_once(tmp_path):
    write_text(tmp_path / "a.txt", "now")
    assert files(tmp_path) == {"a.txt": b"now"}
