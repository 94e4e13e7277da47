"""UDA: semi-supervised consistency training wrapper around an mmseg segmentor."""
