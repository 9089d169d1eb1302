"""The Q&A's token vectors are WordLlama's own embeddings, read row by row from the matrix in the cache."""

from pathlib import Path

import numpy as np
import pytest

from bot.services.token_vectors import TokenVectors, _package_dir, write_matrix


@pytest.fixture(scope="module")
def vectors(tmp_path_factory):
    matrix = tmp_path_factory.mktemp("vectors") / "vectors.npy"
    write_matrix(matrix)
    return TokenVectors(matrix)


TEXTS = ["贷款逾期60天以上的，合作银行可以申请风险补偿", "Which parties share the risk together with the fund?",
         "風險補償資金", "600w", ""]


def test_the_vectors_are_wordllamas_own_embeddings(vectors):
    from wordllama import WordLlama

    # the package's own load looks for its tokenizer beside a misspelt folder; its cache folder is the package's
    model = WordLlama.load(cache_dir=Path(_package_dir()), disable_download=True)
    ours = vectors.embed(TEXTS[:-1])
    assert np.allclose(ours, model.embed(TEXTS[:-1], norm=True), atol=1e-5)


def test_each_text_is_a_unit_vector_and_an_empty_one_is_zero(vectors):
    rows = vectors.embed(TEXTS)
    assert np.allclose(np.linalg.norm(rows[:-1], axis=1), 1.0, atol=1e-5)
    assert not rows[-1].any()


def test_a_matrix_file_cut_short_is_refused(tmp_path):
    matrix = tmp_path / "vectors.npy"
    write_matrix(matrix)
    matrix.write_bytes(matrix.read_bytes()[:-1])
    with pytest.raises(ValueError):
        TokenVectors(matrix)


def test_the_matrix_file_is_closed_when_the_vectors_are_dropped(tmp_path):
    import gc
    import os

    matrix = tmp_path / "vectors.npy"
    write_matrix(matrix)
    vectors = TokenVectors(matrix)
    fd = vectors._fd
    os.fstat(fd)
    del vectors
    gc.collect()
    with pytest.raises(OSError):
        os.fstat(fd)
