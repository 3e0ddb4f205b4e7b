"""Customer data: the simulator, file tables, the data contract, table specs and the train/valid/test split."""
