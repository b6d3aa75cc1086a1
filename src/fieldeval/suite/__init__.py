"""The suite file: its schema, its loading with file:line errors, and its templates."""
