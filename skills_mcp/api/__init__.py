"""The Skills API: the HTTP client (one method per endpoint), its retry policy, the GA and beta wire forms, the
response models, and "did it land?" after a lost answer."""
