"""Crisis pages under /crise/ (namespace `crisis`): staff pages; the referring clinician's
answer link lives in the portal."""

from django.urls import path

from geste.staff.views import crisis, discussions, recovery

app_name = "crisis"
urlpatterns = [
    path("", crisis.home, name="home"),
    path("declencher/", crisis.start, name="start"),
    path("terminer/", crisis.end, name="end"),
    path("simulation/", crisis.whatif, name="whatif"),
    path("passages/<int:run_id>/", crisis.run_detail, name="run"),
    path("passages/<int:run_id>/progression/", crisis.run_progress, name="run_progress"),
    path("passages/<int:run_id>/relancer/", crisis.run_restart_view, name="run_restart"),
    path("passages/<int:run_id>/appliquer/", crisis.confirm_bulk, name="confirm_bulk"),
    path(
        "passages/<int:run_id>/decisions/<int:decision_id>/",
        crisis.confirm_one,
        name="confirm_one",
    ),
    path("traitements/<int:job_id>/", crisis.job_detail, name="job"),
    path("traitements/<int:job_id>/progression/", crisis.job_progress, name="job_progress"),
    path("a-completer/", crisis.worklist, name="worklist"),
    path("a-completer/<int:decision_id>/", crisis.worklist_row, name="worklist_row"),
    path("demandes/<int:request_id>/donnees/", crisis.request_inputs, name="request_inputs"),
    path("discussions/", discussions.discussion_list, name="discussions"),
    path("discussions/<int:discussion_id>/", discussions.discussion_detail, name="discussion"),
    path("reprise/", recovery.plan_create, name="plan_create"),
    path("reprise/<int:plan_id>/", recovery.plan_detail, name="plan"),
    path("reprise/<int:plan_id>/accepter/", recovery.plan_accept, name="plan_accept"),
    path("reprise/<int:plan_id>/elements/<int:item_id>/", recovery.item_adjust, name="plan_item"),
    path("tableau-de-bord/", recovery.dashboard, name="dashboard"),
]
