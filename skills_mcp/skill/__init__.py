"""A local skill, from its folder on disk to the parts of an upload: walk, ignore rules, SKILL.md rules, validation,
packaging, archives."""
