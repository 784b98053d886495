# Copyright (c) OpenMMLab. All rights reserved.
from .quest_vocabulary_hook import QuESTVocabularyHook

__all__ = ['QuESTVocabularyHook']
