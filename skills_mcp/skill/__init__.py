"""A local skill, from its folder on disk to the parts of an upload: walk, ignore rules, SKILL.md rules, validation,
`parts` (what a validated skill is made of), packaging, archives."""
