"""Files the app writes for others to read (xlsx in the FORMATS.md header style). No Qt."""
