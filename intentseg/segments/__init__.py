"""Customer segments: vectorised K-Prototypes, mixed-data preprocessing, the segment model, names, profiles, alignment."""
