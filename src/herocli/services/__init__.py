"""What hero does, independent of how it is asked: no typer, no rich."""
