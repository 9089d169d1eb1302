"""What a text is about, roughly: the mean of its tokens' vectors in WordLlama's token embeddings (the
256-dimension ``l2_supercat`` matrix and its Llama-2 tokenizer, both shipped inside the ``wordllama`` wheel and read
from there: nothing downloads). The Q&A adds how close a question's vector is to each article's to the BM25 ranking
(issue 10).

WordLlama's own ``embed`` computes the same mean and normalisation, but its import also loads requests and it holds
the whole matrix in memory as float32 (33 MB). Here the matrix is kept as float16 in the Q&A's cache directory and
only the rows of the tokens a question uses are read from it; a test compares both.
"""

import importlib.metadata
import importlib.util
import io
import os
import weakref
from pathlib import Path

import numpy as np

from bot.files import write_atomically

_PACKAGE = "wordllama"
_TOKENIZER = Path("tokenizers") / "l2_supercat_tokenizer_config.json"
_WEIGHTS = Path("weights") / "l2_supercat_256.safetensors"
_WEIGHTS_KEY = "embedding.weight"


def _package_dir() -> Path:
    """Where the wordllama package's files are: found, not imported."""
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(_PACKAGE)
    return Path(spec.submodule_search_locations[0])


def model_version() -> str:
    """Names the vectors, for the Q&A cache's fingerprint."""
    return f"{_PACKAGE} {importlib.metadata.version(_PACKAGE)}"


def write_matrix(path: Path) -> None:
    """The token vectors as a float16 ``.npy`` file at ``path`` (what `TokenVectors` reads)."""
    from safetensors.numpy import load_file  # only to build

    matrix = load_file(_package_dir() / _WEIGHTS)[_WEIGHTS_KEY].astype(np.float16)
    buffer = io.BytesIO()
    np.save(buffer, matrix)
    write_atomically(path, buffer.getvalue())


class TokenVectors:
    """Texts as unit vectors: the mean of their tokens' vectors, normalised (WordLlama's ``embed(norm=True)``)."""

    def __init__(self, matrix_file: Path):
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(_package_dir() / _TOKENIZER))
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        # numpy reads the header (and refuses a file cut short); the rows are then read from the file itself
        header = np.load(matrix_file, mmap_mode="r")
        (self._tokens, self._width), self._dtype, self._start = header.shape, header.dtype, header.offset
        del header
        self._fd = os.open(matrix_file, os.O_RDONLY)
        weakref.finalize(self, os.close, self._fd)  # the file stays open for the engine's life, and no longer

    def embed(self, texts: list[str]) -> np.ndarray:
        """One row per text; a text without tokens is the zero vector (close to nothing)."""
        rows = np.zeros((len(texts), self._width), dtype=np.float32)
        for row, text in zip(rows, texts):
            ids = self._tokenizer.encode(text, add_special_tokens=False).ids  # one thread: no pool of workers
            if ids:
                mean = self._rows(ids).astype(np.float32).mean(axis=0)
                row[:] = mean / (np.linalg.norm(mean) or 1.0)
        return rows

    def _rows(self, ids: list[int]) -> np.ndarray:
        """The vectors of these tokens, read from the file: a question reads a few dozen rows of 512 bytes and
        the matrix stays on disk (memory-mapped, the kernel's read-ahead around each row kept megabytes of it in the
        bot's memory)."""
        size = self._width * self._dtype.itemsize
        unique, positions = np.unique(np.clip(ids, 0, self._tokens - 1), return_inverse=True)
        read = b"".join(os.pread(self._fd, size, self._start + int(token) * size) for token in unique)
        return np.frombuffer(read, self._dtype).reshape(len(unique), self._width)[positions]
