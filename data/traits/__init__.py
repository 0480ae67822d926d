"""The example traits, shipped inside the package as duckseg.example_traits."""
