# Copyright (c) OpenMMLab. All rights reserved.
"""Several optimizers stepped after one backward pass of one joint loss."""
from contextlib import contextmanager
from typing import Dict, Optional

import torch
import torch.nn as nn
from mmengine.optim import AmpOptimWrapper, OptimWrapper, OptimWrapperDict

from mmkd_plus.registry import OPTIM_WRAPPERS

__all__ = ['JointOptimWrapperDict']


@OPTIM_WRAPPERS.register_module()
class JointOptimWrapperDict(OptimWrapperDict):
    """An ``OptimWrapperDict`` that a standard ``train_step`` can use.

    MMEngine's :class:`~mmengine.optim.OptimWrapperDict` refuses
    ``update_params``, ``backward``, ``step`` and ``optim_context``: a model
    with several optimizers must write its own ``train_step``. Here the
    wrappers share one loss, as in a gradient-reversal setup where a model
    and its adversaries learn from the same backward pass (adversarial
    debiasing in the MFD code, https://arxiv.org/abs/2106.04411): any
    model's ``train_step`` (mmpretrain's ``ImageClassifier``, MMRazor's
    distillers) calls ``optim_wrapper.optim_context(model)`` and
    ``optim_wrapper.update_params(loss)`` as with one optimizer, and

    1. the loss is backpropagated once;
    2. every wrapper then steps (clipping its own gradients if its
       ``clip_grad`` is set) and every wrapper zeroes its gradients.

    Each optimizer keeps its own learning rate, state and parameter
    schedulers (``param_scheduler`` as a dict keyed like this one).

    Gradient accumulation follows ``OptimWrapper``'s semantics when every
    wrapper has the same ``accumulative_counts``: the loss is divided as
    ``OptimWrapper.scale_loss`` does, DDP gradient synchronisation is
    skipped until the update iteration, and all optimizers step together
    every ``accumulative_counts`` iterations (and at the last one).
    Different counts are refused.

    Mixed precision: either every wrapper is an ``AmpOptimWrapper`` or none
    is. With AMP the wrappers share ONE ``GradScaler`` (the first
    wrapper's; the others must be configured alike), following PyTorch's
    recipe for several optimizers
    (https://pytorch.org/docs/stable/notes/amp_examples.html): the loss is
    scaled once, each optimizer's gradients are unscaled (when clipped) and
    stepped through the scaler, and the scale is updated once per step.

    Args:
        **optim_wrappers (OptimWrapper): The wrappers by name, e.g.
            ``model=..., adversaries=...``. Build them from a config with
            :class:`ModuleSplitOptimWrapperConstructor`.
    """

    def __init__(self, **optim_wrappers: OptimWrapper) -> None:
        if not optim_wrappers:
            raise ValueError(
                'JointOptimWrapperDict: no optimizer wrapper given; '
                'optim_wrapper needs at least one entry (name=dict('
                'optimizer=...)).')
        for name, wrapper in optim_wrappers.items():
            if not isinstance(wrapper, OptimWrapper) or isinstance(
                    wrapper, OptimWrapperDict):
                raise TypeError(
                    f'JointOptimWrapperDict: optim_wrapper.{name} must be '
                    f'an OptimWrapper (or AmpOptimWrapper), got '
                    f'{type(wrapper).__name__}.')
        super().__init__(**optim_wrappers)
        counts = {
            name: w._accumulative_counts
            for name, w in optim_wrappers.items()
        }
        if len(set(counts.values())) > 1:
            raise ValueError(
                'JointOptimWrapperDict: the wrappers share one backward '
                'pass, so they must accumulate gradients over the same '
                'number of iterations; got accumulative_counts ' +
                ', '.join(f'optim_wrapper.{k}={v}'
                          for k, v in counts.items()) +
                '. Set the same accumulative_counts in every entry.')
        amp = {
            name: isinstance(w, AmpOptimWrapper)
            for name, w in optim_wrappers.items()
        }
        self.loss_scaler = None
        if any(amp.values()):
            if not all(amp.values()):
                raise ValueError(
                    'JointOptimWrapperDict: one loss is scaled once for '
                    'every optimizer, so either every entry is an '
                    'AmpOptimWrapper or none is; got ' +
                    ', '.join(f'optim_wrapper.{k}.type='
                              f'{type(optim_wrappers[k]).__name__}'
                              for k in amp) +
                    ". Set type='AmpOptimWrapper' in every entry or in "
                    'none.')
            self._share_loss_scaler()

    @property
    def _first(self) -> OptimWrapper:
        return next(iter(self.optim_wrappers.values()))

    def _share_loss_scaler(self) -> None:
        """Give every AmpOptimWrapper the first one's GradScaler."""
        first_name, first = next(iter(self.optim_wrappers.items()))
        for name, wrapper in self.optim_wrappers.items():
            same = (
                wrapper.loss_scaler.state_dict()
                == first.loss_scaler.state_dict()
                and wrapper._scale_update_param == first._scale_update_param
                and wrapper.cast_dtype == first.cast_dtype)
            if not same:
                raise ValueError(
                    'JointOptimWrapperDict: the AmpOptimWrapper entries '
                    'share one GradScaler and one autocast, so their '
                    f'loss_scale and dtype must be equal; '
                    f'optim_wrapper.{name} differs from '
                    f'optim_wrapper.{first_name}.')
            wrapper.loss_scaler = first.loss_scaler
        self.loss_scaler = first.loss_scaler

    def share_loss_scaler(self, loss_scaler) -> None:
        """Use ``loss_scaler`` (a ``torch.amp.GradScaler``) in every
        AmpOptimWrapper entry, e.g. a CPU scaler in a test."""
        if self.loss_scaler is None:
            raise ValueError(
                'JointOptimWrapperDict.share_loss_scaler: the entries are '
                'not AmpOptimWrappers; there is no loss scaler to share.')
        for wrapper in self.optim_wrappers.values():
            wrapper.loss_scaler = loss_scaler
        self.loss_scaler = loss_scaler

    # the update of one iteration, as OptimWrapper.update_params
    def update_params(  # type: ignore
            self,
            loss: torch.Tensor,
            step_kwargs: Optional[Dict] = None,
            zero_kwargs: Optional[Dict] = None) -> None:
        """Backward ``loss`` once; then, on an update iteration, step every
        optimizer and zero every gradient.

        Args:
            loss (torch.Tensor): The joint loss.
            step_kwargs (dict, optional): Arguments of every
                ``optimizer.step``.
            zero_kwargs (dict, optional): Arguments of every
                ``optimizer.zero_grad``.
        """
        loss = self.scale_loss(loss)
        self.backward(loss)
        if self.should_update():
            self.step(**(step_kwargs or {}))
            self.zero_grad(**(zero_kwargs or {}))

    def backward(self, loss: torch.Tensor, **kwargs) -> None:
        """One backward pass (of the scaled loss under AMP); every wrapper
        counts the iteration."""
        if self.loss_scaler is not None:
            loss = self.loss_scaler.scale(loss)
        loss.backward(**kwargs)
        for wrapper in self.optim_wrappers.values():
            wrapper._inner_count += 1

    def step(self, **kwargs) -> None:
        """Step every optimizer; under AMP through the shared scaler, whose
        scale is then updated once."""
        if self.loss_scaler is None:
            for wrapper in self.optim_wrappers.values():
                wrapper.step(**kwargs)
            return
        for wrapper in self.optim_wrappers.values():
            if wrapper.clip_grad_kwargs:
                self.loss_scaler.unscale_(wrapper.optimizer)
                wrapper._clip_grad()
            self.loss_scaler.step(wrapper.optimizer, **kwargs)
        self.loss_scaler.update(self._first._scale_update_param)

    def zero_grad(self, **kwargs) -> None:
        """Zero the gradients of every optimizer."""
        for wrapper in self.optim_wrappers.values():
            wrapper.zero_grad(**kwargs)

    @contextmanager
    def optim_context(self, model: nn.Module):
        """The wrappers' common context: no DDP gradient synchronisation
        while accumulating and, under AMP, autocast (the wrappers agree on
        both, so the first one's context is every one's)."""
        with self._first.optim_context(model):
            yield

    def initialize_count_status(self, model: nn.Module, init_counts: int,
                                max_counts: int) -> None:
        """Initialise the accumulation counters of every wrapper."""
        for wrapper in self.optim_wrappers.values():
            wrapper.initialize_count_status(model, init_counts, max_counts)

    def should_update(self) -> bool:
        """Whether this iteration steps the optimizers (all agree)."""
        return self._first.should_update()

    def should_sync(self) -> bool:
        """Whether this iteration synchronises DDP gradients."""
        return self._first.should_sync()

    def scale_loss(self, loss: torch.Tensor) -> torch.Tensor:
        """The loss divided for gradient accumulation (all agree)."""
        return self._first.scale_loss(loss)

    @property
    def inner_count(self) -> int:
        """The number of backward passes counted so far."""
        return self._first._inner_count

    def load_state_dict(self, state_dict: dict) -> None:
        """Load every wrapper's state; the names must match exactly.

        Args:
            state_dict (dict): ``{name: state of that wrapper}``, as
                :meth:`state_dict` gives.
        """
        if set(state_dict) != set(self.optim_wrappers):
            raise KeyError(
                'JointOptimWrapperDict: the checkpoint\'s optimizer state '
                f'has the entries {sorted(state_dict)} but optim_wrapper has '
                f'{sorted(self.optim_wrappers)}. Resume from a checkpoint of '
                'the same optim_wrapper entries, or load only the weights '
                '(load_from=... with resume=False).')
        for name, wrapper_state in state_dict.items():
            self.optim_wrappers[name].load_state_dict(wrapper_state)
