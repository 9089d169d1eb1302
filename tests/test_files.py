"""Files the bot keeps between runs: written whole or not at all, named by what they were made from."""

import pytest

from bot.files import fingerprint, write_atomically


def test_a_kept_file_is_written_whole(tmp_path):
    write_atomically(tmp_path / "kept", b"whole")
    assert [p.name for p in tmp_path.iterdir()] == ["kept"]
    assert (tmp_path / "kept").read_bytes() == b"whole"


def test_a_write_that_fails_leaves_nothing_behind(tmp_path):
    (tmp_path / "a-directory").mkdir()
    with pytest.raises(OSError):
        write_atomically(tmp_path / "a-directory", b"data")
    assert [p.name for p in tmp_path.iterdir()] == ["a-directory"]


def test_parts_of_a_fingerprint_never_read_as_one():
    assert fingerprint([b"ab", b"c"]) != fingerprint([b"a", b"bc"])
    assert fingerprint([b"ab", b"c"]) == fingerprint([b"ab", b"c"])
