# UDA on the demo data: ./deeplabv3_r18_uda_cityscapes.py with the demo's data and
# size: the supervised 1/8 demo config plus the unlabeled 7/8 with weak/strong
# views and the consistency objective (ramp-up scaled to the 600 iterations).
_base_ = './deeplabv3_r18_1-8sup_demo.py'
model = dict(_base_.uda_model, rampup_iters=100)
train_cfg = dict(_base_.uda_train_cfg, unlabeled_dataloader=_base_.unlabeled_dataloader)
