# AD+FitNet on DigitsS: the one-stage FitNet (HKD, T = 3, + 1/2 * MSE of the
# penultimate features at once, the supplement's form) with the AD head
# (reversal strength 2.0, as the DigitsS AD leaf).
_base_ = ['./_base_fitnet.py',
          '../_base_/pairs/cifarnet_half_cifarnet_half_digits_s.py',
          '../_base_/settings/digits_s_bs128_20e.py', './_base_ad.py']
model = dict(**_base_.pair, distiller=_base_.penultimate)
model['architecture']['head'].update(_base_.ad_head)
optim_wrapper = _base_.ad_optim
param_scheduler = _base_.ad_param_scheduler
