"""Hand-written SQL, shipped inside the package as duckseg.sql."""
