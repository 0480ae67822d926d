"""The bundled sample data, shipped inside the package as duckseg.sample."""
