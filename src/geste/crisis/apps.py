from django.apps import AppConfig


class CrisisConfig(AppConfig):
    name = "geste.crisis"
    label = "crisis"

    def ready(self) -> None:
        # The booking gate (pathway, one floor down) asks crisis mode for a clinician's
        # confirmed decision through this hook: pathway may not import crisis.
        from geste.crisis.selectors import confirmed_decision
        from geste.pathway.crisis_gate import register_confirmed

        register_confirmed(confirmed_decision)
