"""``python -m bot.services.qa_build POLICY_DIR CACHE_DIR``: build the Q&A cache in a process of its own, so the bot's
first start neither waits for it nor keeps what building it loaded (jieba's word list, pypinyin).

A module of its own, not ``python -m bot.services.qa``: run as ``__main__``, the Q&A's classes would be pickled
under ``__main__`` and the bot could not read the index back (it would build it a second time itself)."""

import sys
from pathlib import Path

from bot.policies import load_packs
from bot.services.qa import PolicyQA


def main() -> None:
    policy_dir, cache_dir = map(Path, sys.argv[1:3])
    PolicyQA(load_packs(policy_dir), cache_dir=cache_dir)


if __name__ == "__main__":
    main()
