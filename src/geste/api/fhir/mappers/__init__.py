"""From our models to FHIR R4 resources (plain dicts, validated on the way out), one module per
family of resources."""
