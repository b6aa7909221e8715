from django.urls import path

from geste.crisis import views, views_discussions, views_recovery

app_name = "crisis"
urlpatterns = [
    path("", views.home, name="home"),
    path("declencher/", views.start, name="start"),
    path("terminer/", views.end, name="end"),
    path("simulation/", views.whatif, name="whatif"),
    path("passages/<int:run_id>/", views.run_detail, name="run"),
    path("passages/<int:run_id>/progression/", views.run_progress, name="run_progress"),
    path("passages/<int:run_id>/appliquer/", views.confirm_bulk, name="confirm_bulk"),
    path(
        "passages/<int:run_id>/decisions/<int:decision_id>/",
        views.confirm_one,
        name="confirm_one",
    ),
    path("discussions/", views_discussions.discussion_list, name="discussions"),
    path(
        "discussions/<int:discussion_id>/",
        views_discussions.discussion_detail,
        name="discussion",
    ),
    path("avis/<str:token>/", views_discussions.answer, name="answer"),
    path("reprise/", views_recovery.plan_create, name="plan_create"),
    path("reprise/<int:plan_id>/", views_recovery.plan_detail, name="plan"),
    path("reprise/<int:plan_id>/accepter/", views_recovery.plan_accept, name="plan_accept"),
    path(
        "reprise/<int:plan_id>/elements/<int:item_id>/",
        views_recovery.item_adjust,
        name="plan_item",
    ),
    path("tableau-de-bord/", views_recovery.dashboard, name="dashboard"),
]
