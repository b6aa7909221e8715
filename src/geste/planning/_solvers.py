"""Solving the aggregated model: its LP relaxation (GLOP) and the integer model (CP-SAT)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ortools.linear_solver import pywraplp  # type: ignore[import-untyped, unused-ignore]
from ortools.sat.python import cp_model

from geste.planning._aggregate import Spec

__all__ = ["CpResult", "solve_cpsat", "solve_lp"]


def solve_lp(spec: Spec, *, time_limit_s: float) -> tuple[list[float], float] | None:
    """Values and objective of the LP relaxation (a lower bound), None if not solved."""
    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is None:  # pragma: no cover - GLOP ships with OR-Tools
        return None
    solver.SetTimeLimit(max(1, int(time_limit_s * 1000)))
    xs = [solver.NumVar(0.0, float(ub), "") for ub in spec.upper]
    for vs, cs, lo, hi in spec.rows:
        row = solver.RowConstraint(float(lo), float(hi), "")
        for v, c in zip(vs, cs, strict=True):
            row.SetCoefficient(xs[v], float(c))
    objective = solver.Objective()
    for v, c in enumerate(spec.cost):
        if c:
            objective.SetCoefficient(xs[v], float(c))
    objective.SetMinimization()
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    return [float(x.solution_value()) for x in xs], float(objective.Value())


@dataclass(frozen=True)
class CpResult:
    values: list[int]
    status: str
    best_bound: int


def solve_cpsat(
    spec: Spec,
    hint: Sequence[int],
    *,
    time_limit_s: float,
    num_workers: int,
    relative_gap: float,
    random_seed: int,
) -> CpResult | None:
    """Solve the integer model from a complete hint; None if CP-SAT returned no solution.

    ``interleave_search`` makes the search deterministic whatever the number of workers: the
    same input gives the same plan unless the wall-clock limit cuts the search.
    """
    model = cp_model.CpModel()
    xs = [model.new_int_var(0, ub, f"v{i}") for i, ub in enumerate(spec.upper)]
    for vs, cs, lo, hi in spec.rows:
        expr = cp_model.LinearExpr.weighted_sum([xs[v] for v in vs], cs)
        if lo == hi:
            model.add(expr == lo)
        else:
            model.add_linear_constraint(expr, lo, hi)
    used = [(xs[v], c) for v, c in enumerate(spec.cost) if c]
    model.minimize(cp_model.LinearExpr.weighted_sum([v for v, _ in used], [c for _, c in used]))
    for var, value in zip(xs, hint, strict=True):
        model.add_hint(var, value)
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.num_workers = num_workers
    params.interleave_search = True
    params.max_time_in_seconds = time_limit_s
    params.relative_gap_limit = relative_gap
    params.random_seed = random_seed
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return CpResult(
        values=[solver.value(x) for x in xs],
        status=solver.status_name(status),
        best_bound=math.ceil(solver.best_objective_bound - 1e-6),
    )
