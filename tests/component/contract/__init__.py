"""Contract tests of the Sitoo sandbox against the Sitoo OpenAPI description."""
