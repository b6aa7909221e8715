from django.contrib import admin
from django.http import HttpRequest

from geste.dicom.models import DoseAlertSettings, DoseReport, ModalityStation


@admin.register(ModalityStation)
class ModalityStationAdmin(admin.ModelAdmin):
    list_display = ("ae_title", "station_name", "room", "modality", "active")
    list_filter = ("active", "modality")


@admin.register(DoseAlertSettings)
class DoseAlertSettingsAdmin(admin.ModelAdmin):
    """One row: each level beside the text it comes from."""

    fields = (
        ("procedure_rak_gy", "procedure_source"),
        ("cumulative_rak_gy", "cumulative_dap_gy_cm2", "cumulative_source"),
        ("lookback_days", "lookback_source"),
        "notify_by_email",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not DoseAlertSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(DoseReport)
class DoseReportAdmin(admin.ModelAdmin):
    """Read-only: dose reports come from the equipment, never typed."""

    list_display = ("sop_instance_uid", "calling_ae", "received_at", "dap_gy_cm2", "match_method")
    list_filter = ("match_method",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
