"""Daily batch scoring: row validation, chunked scoring with deciles and the audience, drift."""
