"""django-otp's admin for TOTP devices, with its two extra pages answering 404 for a device
that does not exist (the library's own views raise DoesNotExist: a 500 on bad input)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice


class SafeTOTPDeviceAdmin(TOTPDeviceAdmin):
    def config_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        get_object_or_404(TOTPDevice, pk=pk)
        return super().config_view(request, pk)  # type: ignore[no-any-return]

    def qrcode_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        get_object_or_404(TOTPDevice, pk=pk)
        return super().qrcode_view(request, pk)  # type: ignore[no-any-return]


if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
admin.site.register(TOTPDevice, SafeTOTPDeviceAdmin)
