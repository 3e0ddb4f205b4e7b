"""intentseg: purchase-intent prediction and customer segmentation for e-commerce."""

__version__ = "0.1.0"
