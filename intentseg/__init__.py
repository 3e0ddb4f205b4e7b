"""intentseg: purchase-intent prediction and customer segmentation for e-commerce."""
