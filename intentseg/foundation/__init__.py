"""The bottom layer, which knows nothing of customers: error types, file I/O, stage logging, thread pinning,
memory sizing and the pure metric arithmetic. Every other layer may import it; it imports no other layer."""
