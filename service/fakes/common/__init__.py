"""What every fake webshop shares: clock, ledger, faults, admin API, web-hook HTTP, serving."""
