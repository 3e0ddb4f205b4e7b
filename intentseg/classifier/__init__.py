"""The purchase-intent classifier: model types behind one engine interface, calibration, decision rule, baseline, reasons."""
