# DatasetGAN full scale, step 3: the interpreter on all 18 synthesis layers of
# the 512 px StyleGAN2 (5504-dim features), trained on the annotated samples:
#   python tools/train.py configs/datasetgan/interpreter_cityscapes.py
# Not run here at this scale (no GPU, no trained 512 px GAN, no annotations).
_base_ = './interpreter_demo.py'
work = 'work_dirs/datasetgan_cityscapes/'
gan_config = 'configs/datasetgan/stylegan2_512_cityscapes.py'
gan_checkpoint = work + 'stylegan2/iter_200000.pth'
samples_dir = work + 'samples'
ann_dir = work + 'annotations'
model = dict(gan_config=gan_config, gan_checkpoint=gan_checkpoint, use_ema=True,
             pixels_per_image=8192)
dataset = dict(samples_dir=samples_dir, ann_dir=ann_dir, gan_config=gan_config)
train_dataloader = dict(batch_size=2, dataset=dataset)
val_dataloader = dict(batch_size=1, dataset=dataset)
test_dataloader = val_dataloader
max_iters = 4000
val_interval = 200
train_cfg = dict(max_iters=max_iters, val_interval=val_interval)
default_hooks = dict(checkpoint=dict(interval=val_interval))
