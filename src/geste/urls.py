from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from geste.api.routes import api
from geste.portal.views import public as views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("accueil/", views.home, name="home"),
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("compte/", include("geste.security.urls")),  # second factor: code, enrolment
    path(
        "mot-de-passe/oubli/",
        auth_views.PasswordResetView.as_view(
            template_name="geste/auth/password_reset.html",
            email_template_name="geste/auth/password_reset_email.txt",
            subject_template_name="geste/auth/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "mot-de-passe/envoye/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="geste/auth/password_reset_done.html"
        ),
        name="password_reset_done",
    ),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="geste/auth/password_reset_confirm.html"
        ),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe/termine/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="geste/auth/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    # Pages in front: every staff page in staff/, every patient and public page in portal/.
    path("equipe/", include("geste.staff.urls")),
    path("crise/", include("geste.staff.crisis_urls")),
    path("", include("geste.portal.urls")),
    path("api/v1/", api.urls),
    path("fhir/R4/", include("geste.api.fhir.urls")),
    path("admin/", admin.site.urls),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler403 = "geste.portal.views.public.forbidden"
handler404 = "geste.portal.views.public.not_found"
