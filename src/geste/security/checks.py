"""Deploy checks (filled in by the production-settings step)."""
