"""Storage: SQLite tables, transactions, read models. Everything SQLite-specific lives here."""
