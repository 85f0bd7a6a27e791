"""What users ask for, built from a local skill and the API client: `publish` (and find-or-create by name),
`same_name` (skills that share a name), `lifecycle` (delete, download), `inputs` (the rules for what users pass)."""
