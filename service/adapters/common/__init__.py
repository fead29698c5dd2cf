"""What every webshop client shares: the error tree, retries and write-once, HTTP, references."""
