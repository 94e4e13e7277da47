# UDA on the demo data: the supervised 1/8 demo config plus the unlabeled 7/8
# with weak/strong views and the consistency objective (UDA's defaults).
_base_ = ['./deeplabv3_r18_1-8sup_demo.py', '../_base_/uda/demo_cityscapes_1-8.py']
model = dict(
    type='UDAEncoderDecoder',
    data_preprocessor=dict(type='UDASegDataPreProcessor'),
    consistency_weight=1.0, temperature=0.4, confidence_threshold=0.8,
    tsa_schedule=None, rampup_iters=100)
train_cfg = dict(type='UDAIterBasedTrainLoop', unsup_ratio=1,
                 unlabeled_dataloader={{_base_.unlabeled_dataloader}})
