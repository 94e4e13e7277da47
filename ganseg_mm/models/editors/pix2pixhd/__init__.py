"""pix2pixHD-style label-to-image GAN (generator, multi-scale discriminator, model)."""
