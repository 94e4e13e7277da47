# Short name of ./ganaug/deeplabv3_r50_ganaug_cityscapes.py (configs live in one
# folder per method; this alias keeps `python tools/train.py
# configs/deeplabv3_r50_ganaug_cityscapes.py` working).
_base_ = './ganaug/deeplabv3_r50_ganaug_cityscapes.py'
