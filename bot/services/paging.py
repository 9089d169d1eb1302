"""What every paged screen (/audit, /review, /claims, /officers) shares: where the newer and older pages start."""

from typing import ClassVar


class Paged:
    """A page of a list newest (or oldest) first: ``offset`` and ``total`` given by the view, ``page_size`` by
    its class."""

    page_size: ClassVar[int]
    offset: int
    total: int

    @property
    def newer(self) -> int | None:
        """Where the page before starts, or None on the first page."""
        return max(self.offset - self.page_size, 0) if self.offset > 0 else None

    @property
    def older(self) -> int | None:
        """Where the page after starts, or None on the last page."""
        return self.offset + self.page_size if self.offset + self.page_size < self.total else None
