"""UDA train loop: labeled and unlabeled batches at a set ratio."""
