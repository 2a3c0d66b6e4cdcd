"""The catalog: vehicles, parts, supplier offers, fitments, feeds, VINs."""
