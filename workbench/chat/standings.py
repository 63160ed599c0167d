"""Compare's figures side by side: each column's last answer, the fastest and the
cheapest marked. Cost comes from the catalog's per-token prices; a column whose
model has none says so rather than showing a made-up zero."""

from dataclasses import dataclass
from typing import Any

from workbench.chat.conversation import Column


@dataclass
class Standing:
    number: int
    model: str
    figures: dict[str, Any]
    cost: float | None  # US dollars; None: no prices, or tokens not known
    priced: bool
    fastest_first: bool = False
    fastest_total: bool = False
    cheapest: bool = False


def cost_of(prices: dict[str, float] | None, figures: dict[str, Any]) -> float | None:
    prompt, completion = figures.get("prompt_tokens"), figures.get("completion_tokens")
    if not prices or not isinstance(prompt, int) or not isinstance(completion, int):
        return None
    return prompt * prices.get("input", 0) + completion * prices.get("output", 0)


@dataclass
class Standings:
    """The rows, and the line above the columns that names the leaders (the table
    itself folds away: on a phone it would push the answers off the screen)."""

    rows: list[Standing]

    def __bool__(self) -> bool:
        return bool(self.rows)

    @property
    def leaders(self) -> list[tuple[str, str, bool]]:
        """(figure, the columns that lead it or why none does, whether some do)."""
        priced = any(r.priced for r in self.rows)
        out = []
        for label, flag, none in (
            ("Fastest first token", "fastest_first", "not known"),
            ("Fastest in all", "fastest_total", "not known"),
            ("Cheapest", "cheapest", "not known" if priced else "no prices in the catalog"),
        ):
            named = ", ".join(f"Column {r.number}" for r in self.rows if getattr(r, flag))
            out.append((label, named or none, bool(named)))
        return out


def standings(columns: list[Column]) -> Standings:
    """One row per column that has an answer with figures; none when fewer than two."""
    rows = []
    for number, column in enumerate(columns, start=1):
        answer = column.last_answer()
        figures = (answer or {}).get("figures") or {}
        if not figures:
            continue
        prices = column.model.pricing
        rows.append(
            Standing(
                number, column.model.display_name, figures, cost_of(prices, figures), bool(prices)
            )
        )
    if len(rows) < 2:
        return Standings([])
    _mark(rows, "ttft_ms", "fastest_first")
    _mark(rows, "total_ms", "fastest_total")
    costs = [r.cost for r in rows if r.cost is not None]
    for row in rows:
        row.cheapest = len(costs) > 1 and row.cost == min(costs)
    return Standings(rows)


def _mark(rows: list[Standing], figure: str, flag: str) -> None:
    known = [r.figures[figure] for r in rows if isinstance(r.figures.get(figure), int | float)]
    if len(known) < 2:
        return
    for row in rows:
        setattr(row, flag, row.figures.get(figure) == min(known))
