"""GANAugmentedDataset: real + GAN-synthesized data mixed by ratio or class-balanced repeat factors."""
