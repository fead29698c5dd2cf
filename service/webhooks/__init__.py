"""Sitoo Events SPI (web hooks): intake endpoint and the consumer of what it stored."""
