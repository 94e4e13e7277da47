"""DatasetGAN style interpreter: ensemble of per-pixel MLPs (registered in MODELS)."""
