"""Two-factor pages, mounted under /compte/ by the root urlconf.

The namespace is `two_factor` because django-two-factor-auth's views reverse their own names
in it (`two_factor:setup`, `two_factor:qr`...).
"""

from django.urls import path
from two_factor import views as tf_views

from geste.security import twofactor

app_name = "two_factor"

urlpatterns = [
    path("code/", twofactor.login_code, name="login_code"),
    path("double-authentification/", tf_views.ProfileView.as_view(), name="profile"),
    path("double-authentification/activer/", twofactor.SetupView.as_view(), name="setup"),
    path("double-authentification/qrcode/", twofactor.QRGeneratorView.as_view(), name="qr"),
    path(
        "double-authentification/activee/",
        tf_views.SetupCompleteView.as_view(),
        name="setup_complete",
    ),
    path(
        "double-authentification/codes-de-secours/",
        twofactor.BackupTokensView.as_view(),
        name="backup_tokens",
    ),
    path("double-authentification/retirer/", twofactor.DisableView.as_view(), name="disable"),
]
