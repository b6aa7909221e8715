from django.contrib import admin

from geste.api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "created_at", "revoked_at", "last_used_at")
    readonly_fields = ("key_hash", "prefix", "created_at", "last_used_at")
    actions = ["revoke"]

    @admin.action(description="Révoquer")
    def revoke(self, request, queryset):  # type: ignore[no-untyped-def]
        for token in queryset:
            token.revoke()
