import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { formatSize, formatTime, parseTime, renderImageCard, statusState } from '../src/card';
import { cellsToInsert, LOAD_EXT_SOURCE, REGISTER_CELL_SOURCE } from '../src/cells';

/** The register response recorded from the API (shared fixtures), with a local fallback. */
function registerResponse(): Record<string, unknown> {
  const shared = join(__dirname, '..', '..', '..', 'shared', 'fixtures', 'examples');
  try {
    return JSON.parse(readFileSync(join(shared, 'register-response.json'), 'utf8'));
  } catch {
    return {
      arch: 'X86_64',
      create_at: 1671708630448,
      description: '',
      dev_services: ['NOTEBOOK', 'SSH'],
      id: '708ca95d-c601-4dc7-86b9-670adfd5e818',
      name: 'pytorch_1_8',
      namespace: 'op_svc_modelarts_container2',
      origin: 'CUSTOMIZE',
      resource_categories: ['CPU'],
      service_type: 'UNKNOWN',
      size: 3376133259,
      status: 'ACTIVE',
      swr_path: 'swr.xxx.com/op_svc_modelarts_container2/pytorch_1_8:train-pytorch_1.8.0',
      tag: 'train-pytorch_1.8.0',
      type: 'DEDICATED',
      update_at: 1671708630448,
      visibility: 'PRIVATE',
      workspace_id: '0'
    };
  }
}

function field(card: HTMLElement, name: string): HTMLElement | null {
  return card.querySelector(`[data-field="${name}"]`);
}

describe('renderImageCard', () => {
  it('shows name:tag, namespace, id, status and what each dev service offers', () => {
    const image = registerResponse();
    const card = renderImageCard(image);
    expect(card.className).toBe('modelarts-image-card');
    expect(card.dataset.status).toBe('ACTIVE');
    expect(card.dataset.state).toBe('ok');
    expect(card.querySelector('.modelarts-title')?.textContent).toBe(`${image.name}:${image.tag}`);
    expect(card.querySelector('.modelarts-namespace')?.textContent).toContain(
      String(image.namespace)
    );
    expect(card.querySelector('.modelarts-status')?.textContent).toBe('ACTIVE');
    expect(field(card, 'id')?.textContent).toBe(image.id);
    expect(field(card, 'swr_path')?.textContent).toBe(image.swr_path);
    const chips = [...card.querySelectorAll('.modelarts-chip')].map(chip => chip.textContent);
    expect(chips).toEqual(['NOTEBOOKopen JupyterLab over HTTPS', 'SSHconnect from a local IDE']);
  });

  it('shows the size in binary units with the raw bytes on hover', () => {
    const card = renderImageCard({ id: 'x', size: 3376133259 });
    expect(field(card, 'size')?.textContent).toBe('3.14 GiB');
    expect(field(card, 'size')?.title).toBe('3376133259 bytes');
  });

  it('shows times readably with the ISO time on hover', () => {
    const card = renderImageCard({ id: 'x', create_at: 1671708630448, update_at: '2024-01-02T03:04:05Z' });
    expect(field(card, 'create_at')?.textContent).toBe('2022-12-22 11:30:30 UTC');
    expect(field(card, 'create_at')?.title).toBe('2022-12-22T11:30:30.448Z');
    expect(field(card, 'update_at')?.textContent).toBe('2024-01-02 03:04:05 UTC');
  });

  it('shows hostile values as text and creates no element from them', () => {
    const hostile = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">';
    const card = renderImageCard({
      id: '<b>id</b>',
      name: '<img src=x onerror=alert(1)>',
      description: hostile,
      status: '<i>ACTIVE</i>',
      status_message: hostile,
      dev_services: ['<svg onload=alert(1)>'],
      swr_path: 'swr.example.com/ns/<script>:tag'
    });
    document.body.appendChild(card);
    expect(card.querySelectorAll('script, img, svg, b, i').length).toBe(0);
    expect(field(card, 'description')?.textContent).toBe(hostile);
    expect(card.querySelector('.modelarts-title')?.textContent).toBe('<img src=x onerror=alert(1)>');
    expect(card.querySelector('.modelarts-chip')?.textContent).toBe('<svg onload=alert(1)>');
    expect(card.outerHTML).toContain('&lt;script&gt;');
    expect((window as unknown as { pwned?: number }).pwned).toBeUndefined();
    card.remove();
  });

  it('shows unknown status, services and arch as they come', () => {
    const card = renderImageCard({
      id: 'x',
      status: 'MIGRATING',
      dev_services: ['AI_FLOW', 'NOTEBOOK'],
      arch: 'x86_64',
      service_type: 'QUANTUM'
    });
    expect(card.dataset.status).toBe('MIGRATING');
    expect(card.dataset.state).toBe('unknown');
    expect(card.querySelector('.modelarts-status')?.textContent).toBe('MIGRATING');
    const unknown = card.querySelector('.modelarts-chip-unknown');
    expect(unknown?.textContent).toBe('AI_FLOW');
    expect(field(card, 'arch')?.textContent).toBe('x86_64');
    expect(field(card, 'service_type')?.textContent).toBe('QUANTUM');
  });

  it('colours states and shows the failure message', () => {
    expect(statusState('ACTIVE')).toBe('ok');
    expect(statusState('INIT')).toBe('progress');
    expect(statusState('CREATING')).toBe('progress');
    expect(statusState('ERROR')).toBe('failed');
    expect(statusState('DELETED')).toBe('deleted');
    expect(statusState(null)).toBe('unknown');
    const card = renderImageCard({
      id: 'x',
      status: 'CREATE_FAILED',
      status_message: 'image not found in SWR'
    });
    expect(card.dataset.state).toBe('failed');
    expect(card.querySelector('.modelarts-message')?.textContent).toBe('image not found in SWR');
  });

  it('survives missing fields and odd payloads', () => {
    const card = renderImageCard({ id: 'only-id' });
    expect(card.dataset.status).toBe('');
    expect(card.querySelector('.modelarts-status')?.textContent).toBe('UNKNOWN');
    expect(field(card, 'id')?.textContent).toBe('only-id');
    expect(field(card, 'size')).toBeNull();
    expect(card.querySelectorAll('.modelarts-chip').length).toBe(0);
    for (const odd of [null, 'text', 42, [], { id: 'x', dev_services: 'SSH', size: 'big', create_at: 'soon' }]) {
      const oddCard = renderImageCard(odd);
      expect(oddCard.className).toContain('modelarts-image-card');
    }
    const lone = renderImageCard({ id: 'x', dev_services: 'SSH', size: 'big', create_at: 'soon' });
    expect(lone.querySelectorAll('.modelarts-chip').length).toBe(1);
    expect(field(lone, 'size')?.textContent).toBe('big');
    expect(field(lone, 'create_at')?.textContent).toBe('soon');
  });
});

describe('formatting', () => {
  it('formats sizes in binary units', () => {
    expect(formatSize(0)).toBe('0 B');
    expect(formatSize(1023)).toBe('1023 B');
    expect(formatSize(1536)).toBe('1.50 KiB');
    expect(formatSize('1048576')).toBe('1.00 MiB');
    expect(formatSize(-1)).toBeNull();
    expect(formatSize('x')).toBeNull();
  });

  it('reads epoch milliseconds, seconds and ISO strings', () => {
    const expected = '2022-12-22 11:30:30 UTC';
    expect(formatTime(parseTime(1671708630000)!)).toBe(expected);
    expect(formatTime(parseTime(1671708630)!)).toBe(expected);
    expect(formatTime(parseTime('2022-12-22T11:30:30Z')!)).toBe(expected);
    expect(parseTime('not a time')).toBeNull();
  });
});

describe('cellsToInsert', () => {
  it('adds %load_ext when no cell loads the extension', () => {
    expect(cellsToInsert(['import os', ''])).toEqual([LOAD_EXT_SOURCE, REGISTER_CELL_SOURCE]);
  });

  it('inserts only the register cell when a cell loads the extension', () => {
    expect(cellsToInsert(['x = 1\n%load_ext modelarts_magic'])).toEqual([REGISTER_CELL_SOURCE]);
  });

  it('inserts a ready-to-edit register cell', () => {
    expect(REGISTER_CELL_SOURCE.split('\n')[0]).toBe('%%register_image --wait');
    expect(REGISTER_CELL_SOURCE).toContain('services: [NOTEBOOK, SSH]');
  });
});
