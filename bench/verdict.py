"""What every bench prints and how it fails: each figure next to its target (and, where the issue names one,
the floor measured in the same run), and a non-zero exit when any target is missed, so CI's quick
configuration of each bench shows a regression."""

import sys


class Verdict:
    def __init__(self, bench: str):
        self.bench = bench
        self.missed: list[str] = []

    def _line(self, name: str, text: str, ok: bool) -> None:
        print(f"{name}: {text} {'ok' if ok else 'MISSED'}", flush=True)
        if not ok:
            self.missed.append(name)

    def ratio(self, name: str, figure: float, floor: float, limit: float, unit: str = "s",
              floor_name: str = "floor") -> float:
        """``figure`` must be at most ``limit`` times ``floor`` (both measured in this run)."""
        ratio = figure / floor if floor > 0 else float("inf")
        self._line(name, f"{figure:.3f} {unit} vs {floor_name} {floor:.3f} {unit} = {ratio:.2f}x "
                         f"(target <= {limit:g}x)", ratio <= limit)
        return ratio

    def at_most(self, name: str, figure: float, limit: float, unit: str) -> None:
        self._line(name, f"{figure:.3f} {unit} (target <= {limit:g} {unit})", figure <= limit)

    def at_least(self, name: str, figure: float, limit: float, unit: str) -> None:
        self._line(name, f"{figure:.3f} {unit} (target >= {limit:g} {unit})", figure >= limit)

    def exit_code(self) -> int:
        if self.missed:
            print(f"{self.bench}: missed {', '.join(self.missed)}", file=sys.stderr)
            return 1
        print(f"{self.bench}: every target met")
        return 0
