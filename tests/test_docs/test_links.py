# Copyright (c) OpenMMLab. All rights reserved.
"""The documentation holds together: every relative link of README.md,
docs/*.md and configs/**/README.md reaches an existing file (and, with a
``#fragment``, an existing heading of it), the README links every method
README, every metafile's README exists, and the pages keep their sizes
(README.md at most 200 lines, a method README at most 150)."""
import glob
import os.path as osp
import re
from typing import Dict, List, Tuple

import pytest
import yaml
from kd_test_utils import REPO

README = osp.join(REPO, 'README.md')
DOCS = sorted(glob.glob(osp.join(REPO, 'docs', '*.md')))
METHOD_READMES = sorted(
    glob.glob(osp.join(REPO, 'configs', '**', 'README.md'), recursive=True))
PAGES = [README] + DOCS + METHOD_READMES
README_MAX_LINES = 200
METHOD_README_MAX_LINES = 150

_FENCE = re.compile(r'^\s*(```|~~~)')
_CODE_SPAN = re.compile(r'(`+)(?:(?!\1).)+?\1')
# [text](target) or ![alt](target), target up to a space or ')'
_INLINE = re.compile(r'!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)')
# [label]: target
_DEFINITION = re.compile(r'^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$')
_HEADING = re.compile(r'^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$')
_SCHEME = re.compile(r'^[a-zA-Z][a-zA-Z0-9+.-]*:')


def _rel(path: str) -> str:
    return osp.relpath(path, REPO)


def _prose_lines(text: str) -> List[Tuple[int, str]]:
    """The lines outside fenced code blocks, with their numbers."""
    lines, in_fence = [], False
    for number, line in enumerate(text.splitlines(), 1):
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence:
            lines.append((number, line))
    return lines


def links(text: str) -> List[Tuple[int, str]]:
    """Every link target of a markdown text, with its line number (a link
    text may run over several lines)."""
    lines = [''] * len(text.splitlines())
    for number, line in _prose_lines(text):
        lines[number - 1] = _CODE_SPAN.sub('', line)
    prose = '\n'.join(lines)
    found = [(prose.count('\n', 0, m.start()) + 1, m.group(1))
             for m in _INLINE.finditer(prose)]
    for number, line in enumerate(lines, 1):
        definition = _DEFINITION.match(line)
        if definition:
            found.append((number, definition.group(1)))
    return sorted(found)


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: link and code markup dropped,
    lower case, punctuation but ``-`` and ``_`` removed, spaces as ``-``."""
    text = re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', heading)
    text = re.sub(r'[^\w\- ]', '', text.lower())
    return text.replace(' ', '-')


def anchors(text: str) -> set:
    """The anchors of a page's headings, repeated ones numbered as GitHub
    numbers them (``x``, ``x-1``, ``x-2``)."""
    seen: Dict[str, int] = {}
    result = set()
    for _, line in _prose_lines(text):
        heading = _HEADING.match(line)
        if not heading:
            continue
        base = slug(heading.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        result.add(base if count == 0 else f'{base}-{count}')
    return result


def broken_links(path: str) -> List[str]:
    """The relative links of a page that reach no file or no heading."""
    with open(path, encoding='utf-8') as f:
        text = f.read()
    broken = []
    for number, target in links(text):
        if _SCHEME.match(target):
            continue
        file_part, _, fragment = target.partition('#')
        dest = path if not file_part else osp.normpath(
            osp.join(osp.dirname(path), file_part))
        where = f'{_rel(path)}:{number}: {target}'
        if not osp.exists(dest):
            broken.append(f'{where} (no such file)')
        elif fragment and dest.endswith('.md'):
            with open(dest, encoding='utf-8') as f:
                if fragment not in anchors(f.read()):
                    broken.append(f'{where} (no such heading)')
    return broken


def _line_count(path: str) -> int:
    with open(path, encoding='utf-8') as f:
        return len(f.read().splitlines())


# ---------------------------------------------------------------------------
# the checker itself
# ---------------------------------------------------------------------------
def test_slug_follows_github():
    assert slug('Networks by `cfg_path`') == 'networks-by-cfg_path'
    assert slug('MFD: Fair Feature Distillation (Jung et al., CVPR 2021)') \
        == 'mfd-fair-feature-distillation-jung-et-al-cvpr-2021'
    assert slug('#1 `import mmrazor.models` fails — `stub_x`') \
        == '1-import-mmrazormodels-fails--stub_x'
    assert slug('See [the guide](docs/x.md)') == 'see-the-guide'
    assert anchors('# A\n## A\n```\n# A\n```\n## A\n') == {'a', 'a-1', 'a-2'}


def test_links_skip_code_and_read_definitions():
    text = ('[a](x.md#b) `[c](code.md)` ![i](img.png)\n'
            '```\n[d](fenced.md)\n```\n'
            '[ref]: https://example.org/y\n[local]: ../z.md\n'
            '<https://example.org/auto> [a link\nover two lines](two.md)\n')
    assert links(text) == [(1, 'img.png'), (1, 'x.md#b'),
                           (5, 'https://example.org/y'), (6, '../z.md'),
                           (7, 'two.md')]


def test_broken_links_are_reported(tmp_path):
    (tmp_path / 'other.md').write_text('# Other page\n## Its part\n')
    page = tmp_path / 'page.md'
    page.write_text('# Page\n'
                    '[ok](other.md#its-part) [self](#page) '
                    '[web](https://example.org/missing.md)\n'
                    '[gone](missing.md) [bad anchor](other.md#nothing)\n'
                    '[bad self](#nowhere)\n')
    broken = broken_links(str(page))
    assert len(broken) == 3
    assert broken[0].endswith(':3: missing.md (no such file)')
    assert broken[1].endswith(':3: other.md#nothing (no such heading)')
    assert broken[2].endswith(':4: #nowhere (no such heading)')


# ---------------------------------------------------------------------------
# the documentation
# ---------------------------------------------------------------------------
def test_pages_exist():
    assert osp.join(REPO, 'docs', 'get_started.md') in DOCS
    assert len(METHOD_READMES) >= 18


@pytest.mark.parametrize('path', PAGES, ids=_rel)
def test_relative_links_resolve(path):
    broken = broken_links(path)
    assert not broken, '\n'.join(broken)


def test_readme_is_short():
    assert _line_count(README) <= README_MAX_LINES


@pytest.mark.parametrize('path', METHOD_READMES, ids=_rel)
def test_method_readme_is_short(path):
    assert _line_count(path) <= METHOD_README_MAX_LINES, _rel(path)


def test_readme_links_every_method_readme_and_docs_page():
    """From the README a method's README, and from there its recipe and
    notes, are one click each."""
    with open(README, encoding='utf-8') as f:
        linked = {
            osp.normpath(osp.join(REPO, target.partition('#')[0]))
            for _, target in links(f.read()) if not _SCHEME.match(target)
        }
    missing = [_rel(p) for p in METHOD_READMES + DOCS if p not in linked]
    assert not missing, f'README.md does not link {missing}'


def test_metafiles_name_existing_readmes():
    with open(osp.join(REPO, 'model-index.yml')) as f:
        index = yaml.safe_load(f)['Import']
    for metafile in index:
        with open(osp.join(REPO, metafile)) as f:
            collections = yaml.safe_load(f)['Collections']
        for collection in collections:
            readme = collection.get('README')
            assert readme, (metafile, collection['Name'])
            assert osp.isfile(osp.join(REPO, readme)), (metafile, readme)
            assert osp.dirname(readme) == osp.dirname(metafile), readme
