"""The example segments, shipped inside the package as duckseg.examples."""
