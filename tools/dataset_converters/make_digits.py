# Copyright (c) OpenMMLab. All rights reserved.
# isort:skip_file  (mmkd_plus must be imported before OpenMMLab)
"""Write the scikit-learn digits as a CIFAR-10-format dataset.

Usage: python tools/dataset_converters/make_digits.py [DATA_ROOT]
(default data/digits; files go to DATA_ROOT/digits-cifar-py/).
"""
import mmkd_plus.compat  # noqa: F401,I001  (before any OpenMMLab import)
from mmkd_plus.datasets.digits import main

if __name__ == '__main__':
    main()
