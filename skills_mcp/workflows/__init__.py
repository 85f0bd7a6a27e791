"""What users ask for, built from a local skill and the API client: publish, find-or-create by name,
delete, download."""
