from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from geste.clinic.models import (
    Cabin,
    CentreSettings,
    DrugHoldInterval,
    Procedure,
    Room,
    Site,
    User,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "is_active")
    list_filter = ("role", "is_active")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (_("Rôle dans le centre"), {"fields": ("role", "rpps")}),
    )


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("name", "finess", "time_zone", "holiday_region")


@admin.register(Cabin)
class CabinAdmin(admin.ModelAdmin):
    list_display = ("name", "site", "active")
    list_filter = ("site", "active")


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ("name", "site", "modality", "active")
    list_filter = ("modality", "active")


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    list_display = ("code", "label_fr", "modality", "duration_min", "enabled")
    list_editable = ("enabled",)
    readonly_fields = ("code",)


class DrugHoldInline(admin.TabularInline):
    model = DrugHoldInterval
    extra = 0


@admin.register(CentreSettings)
class CentreSettingsAdmin(admin.ModelAdmin):
    inlines = [DrugHoldInline]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return not CentreSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
