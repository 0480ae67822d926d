"""duckseg: a segmentation engine for customer data."""

__version__ = "0.1.0"
