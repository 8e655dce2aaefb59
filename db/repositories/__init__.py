"""All queries live here, one module per aggregate, keyword-only arguments."""
