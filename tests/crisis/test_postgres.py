"""PostgreSQL: the what-if writes its decisions with COPY; the one-active-crisis constraint."""

from __future__ import annotations

import pytest

from geste.crisis.errors import CrisisError
from geste.crisis.services import crisis_start, decisions_confirm_bulk
from geste.crisis.whatif import run_create, run_execute
from geste.pathway.models import RequestState
from tests.crisis import factories as f

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_whatif_copy_and_apply_on_postgres(radiologist):
    tumoral = f.request("tumor_ablation", lesion_count=3)
    facet = f.request("facet_infiltration")
    crisis_start(policy_id="covid19-aphp-2020", actor=radiologist)
    with pytest.raises(CrisisError):
        crisis_start(policy_id="covid19-aphp-2020", actor=radiologist)
    run = run_execute(
        run_create(policy_id="covid19-aphp-2020", actor=radiologist, enqueue=False).pk
    )
    decision = run.decisions.get(request=tumoral)
    assert decision.rules == ["R6c", "R7"] and decision.group_lesions is True
    assert run.counts == {"discuss": 1, "defer": 1}
    decisions_confirm_bulk(run=run, proposed="defer", actor=radiologist)
    facet.refresh_from_db()
    assert facet.state == RequestState.DEFERRED
