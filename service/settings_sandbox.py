"""The sandbox group of the settings (SITOO_SYNC_SANDBOX__*): the dev stack of `sitoo-sync run`."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SandboxSettings(BaseModel):
    """The built-in Sitoo sandbox started when no Sitoo credentials are configured."""

    port: int = Field(default=8900, ge=0, le=65535, description="Sandbox port; 0 picks a free one.")
    seed: str = Field(default="demo", description="Data the sandbox starts with: demo or empty.")
    shopify_port: int = Field(
        default=8901,
        ge=0,
        le=65535,
        description="Port of the fake Shopify `run --with-shopify` starts; 0 picks a free one.",
    )
    woocommerce_port: int = Field(
        default=8902,
        ge=0,
        le=65535,
        description="Port of the fake WooCommerce `run --with-woocommerce` starts; 0 picks a "
        "free one.",
    )
    strict: bool = Field(
        default=True,
        description="Refuse requests outside Sitoo's API description with a 400, as the real "
        "Sitoo would; false serves them and only records them (for experiments).",
    )
