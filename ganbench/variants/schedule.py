"""Phases that change with the step (ProGAN's resolution and fade-in), declared by a variant and
run by the harness: before every step the harness computes the phase of that step and hands it to
the variant (`Model.on_phase`). The phase is a function of the step alone, so a resumed run is in
the phase an uninterrupted one would be in."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Phase:
    stage: int  # 0-based index of the stage (ProGAN: the resolution 4 << stage)
    alpha: float  # fade-in of the stage's new block: 0 -> 1 over its fade steps, then 1


@dataclass(frozen=True)
class Schedule:
    """Stages in order; stage 0 has no fade-in. Stage i > 0 fades in over `fade` fractions of the
    budget, then stays stable for `stable` fractions; the last stage keeps the rest of the
    budget. Fractions make the schedule scale with --steps (the budget's total)."""

    stages: int
    fade: float  # fraction of the budget each new stage fades in over
    stable: float  # fraction of the budget each stage (but the last) stays stable

    def __post_init__(self) -> None:
        if self.stages < 1 or self.fade < 0 or self.stable < 0:
            raise ValueError(f"a schedule needs >= 1 stage and fractions >= 0, not {self}")
        # the budget holds every stage's stable time but the last one's (the rest) and every fade
        if (self.stages - 1) * (self.fade + self.stable) > 1 + 1e-9:
            raise ValueError(f"{self}: the stages take more than the whole budget")

    def at(self, step: int, total: int) -> Phase:
        """The phase of step `step` (1-based) of a budget of `total` steps. Edges are computed
        by multiplication and compared with a tolerance, so a step exactly on an edge (12 of 40
        at 0.3) starts the next phase whatever the fractions' rounding."""
        t = (step - 1) / max(total, 1)  # the fraction of the budget done before this step
        eps = 1e-9
        for stage in range(1, self.stages):
            edge = self.stable + (stage - 1) * (self.fade + self.stable)
            if t < edge - eps:
                return Phase(stage - 1, 1.0)
            if t < edge + self.fade - eps:
                return Phase(stage, max(0.0, (t - edge) / self.fade))
        return Phase(self.stages - 1, 1.0)
