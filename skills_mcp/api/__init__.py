"""The Skills API: `client` (one method per endpoint, the request loop), `answers` (reading answers, errors in
plain words), `models` and `wire` (typed answers, GA and beta forms), `retry`, `landed` ("did it land?"), `upload`
(`SkillsAPI`: the client with creates that never land twice), `local` (the emulator in process)."""
