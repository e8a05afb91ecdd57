/**
 * The ModelArts Image card: a DOM tree built from the Image JSON with textContent only.
 *
 * Pure DOM, no JupyterLab imports, so the unit tests can run it in jsdom. The payload is
 * the Image exactly as the API returns it: any field but `id` may be missing, enums may hold
 * values this code has never heard of, and extra fields may appear.
 */

/** The MIME type the Python side puts in `Image._repr_mimebundle_`. */
export const IMAGE_MIME_TYPE = 'application/vnd.modelarts.image+json';

/** Status values grouped by what they mean to the user; anything else is "unknown". */
const STATUS_STATES: Record<string, string> = {
  ACTIVE: 'ok',
  INIT: 'progress',
  CREATING: 'progress',
  CREATE_FAILED: 'failed',
  ERROR: 'failed',
  DELETED: 'deleted'
};

/** What each development service lets the user do with a notebook started from the image. */
const DEV_SERVICE_OFFERS: Record<string, string> = {
  NOTEBOOK: 'open JupyterLab over HTTPS',
  SSH: 'connect from a local IDE'
};

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

type Json = Record<string, unknown>;

/** A value as text for display, or null when absent or empty. */
function text(value: unknown): string | null {
  if (value === null || value === undefined || value === '') {
    return null;
  }
  if (typeof value === 'string') {
    return value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  return JSON.stringify(value);
}

/** A list field as strings; a lone scalar counts as a one-item list. */
function list(value: unknown): string[] {
  if (value === null || value === undefined) {
    return [];
  }
  const items = Array.isArray(value) ? value : [value];
  return items.map(item => text(item)).filter((item): item is string => item !== null);
}

/** Bytes in binary units, e.g. 3376133259 -> "3.14 GiB"; null when not a number. */
export function formatSize(value: unknown): string | null {
  const bytes = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof bytes !== 'number' || !Number.isFinite(bytes) || bytes < 0) {
    return null;
  }
  let size = bytes;
  let unit = 0;
  while (size >= 1024 && unit < BINARY_UNITS.length - 1) {
    size /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${size.toFixed(2)} ${BINARY_UNITS[unit]}`;
}

/**
 * A timestamp as a Date: the API sends epoch milliseconds; epoch seconds and ISO strings
 * are accepted too, so a future API change does not blank the card.
 */
export function parseTime(value: unknown): Date | null {
  let date: Date | null = null;
  if (typeof value === 'number' && Number.isFinite(value)) {
    // Below 1e11 a value can only be seconds (1e11 ms is March 1973).
    date = new Date(value < 1e11 ? value * 1000 : value);
  } else if (typeof value === 'string' && value.trim() !== '') {
    const numeric = Number(value);
    date = Number.isFinite(numeric) ? parseTime(numeric) : new Date(value);
  }
  return date && !Number.isNaN(date.getTime()) ? date : null;
}

/** A readable UTC time, e.g. "2022-12-22 11:30:30 UTC"; the same in every browser locale. */
export function formatTime(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** The state group of a status value: ok, progress, failed, deleted or unknown. */
export function statusState(status: string | null): string {
  return (status && STATUS_STATES[status.toUpperCase()]) || 'unknown';
}

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  content?: string | null
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (content !== undefined && content !== null) {
    node.textContent = content;
  }
  return node;
}

function statusBadge(status: string | null): HTMLElement {
  const state = statusState(status);
  const badge = element('span', `modelarts-status modelarts-status-${state}`);
  badge.appendChild(element('span', 'modelarts-status-dot'));
  badge.appendChild(document.createTextNode(status ?? 'UNKNOWN'));
  badge.title =
    state === 'progress'
      ? 'The image is being registered; it is not usable yet'
      : state === 'ok'
        ? 'The image is registered and ready to use'
        : state === 'failed'
          ? 'Registration failed'
          : state === 'deleted'
            ? 'The image has been deleted'
            : 'A status this version does not know';
  return badge;
}

function serviceChip(service: string): HTMLElement {
  const offer = DEV_SERVICE_OFFERS[service.toUpperCase()];
  const chip = element('span', 'modelarts-chip');
  chip.dataset.service = service;
  chip.appendChild(element('span', 'modelarts-chip-name', service));
  if (offer) {
    chip.appendChild(element('span', 'modelarts-chip-offer', offer));
  } else {
    chip.classList.add('modelarts-chip-unknown');
  }
  return chip;
}

/** One row of the details grid; skipped when the value is absent. */
function addField(
  grid: HTMLElement,
  label: string,
  value: string | null,
  options: { title?: string; code?: boolean; wide?: boolean; field?: string } = {}
): void {
  if (value === null) {
    return;
  }
  const term = element('dt', 'modelarts-field-label', label);
  const detail = element('dd', 'modelarts-field-value', value);
  if (options.code) {
    detail.classList.add('modelarts-code');
  }
  if (options.wide) {
    term.classList.add('modelarts-wide');
    detail.classList.add('modelarts-wide');
  }
  if (options.title) {
    detail.title = options.title;
  }
  if (options.field) {
    detail.dataset.field = options.field;
  }
  grid.appendChild(term);
  grid.appendChild(detail);
}

function addTimeField(grid: HTMLElement, label: string, value: unknown, field: string): void {
  const date = parseTime(value);
  if (date) {
    addField(grid, label, formatTime(date), { title: date.toISOString(), field });
  } else {
    addField(grid, label, text(value), { field });
  }
}

/** Build the card for one Image payload; never throws on odd input. */
export function renderImageCard(payload: unknown): HTMLElement {
  const card = element('div', 'modelarts-image-card');
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    card.dataset.status = '';
    card.classList.add('modelarts-invalid');
    card.appendChild(
      element('div', 'modelarts-message', `Not a ModelArts image: ${text(payload) ?? 'empty'}`)
    );
    return card;
  }
  const image = payload as Json;
  const status = text(image.status);
  card.dataset.status = status ?? '';
  card.dataset.state = statusState(status);

  const header = element('div', 'modelarts-header');
  const heading = element('div', 'modelarts-heading');
  const name = text(image.name) ?? '(unnamed image)';
  const tag = text(image.tag);
  const title = element('span', 'modelarts-title', tag ? `${name}:${tag}` : name);
  heading.appendChild(title);
  const namespace = text(image.namespace);
  if (namespace) {
    heading.appendChild(element('span', 'modelarts-namespace', `namespace ${namespace}`));
  }
  header.appendChild(heading);
  header.appendChild(statusBadge(status));
  card.appendChild(header);

  const state = statusState(status);
  const statusMessage = text(image.status_message);
  if (statusMessage) {
    card.appendChild(element('div', `modelarts-message modelarts-message-${state}`, statusMessage));
  }

  const services = list(image.dev_services);
  const chips = element('div', 'modelarts-chips');
  if (services.length > 0) {
    services.forEach(service => chips.appendChild(serviceChip(service)));
  } else {
    chips.appendChild(element('span', 'modelarts-muted', 'no development services'));
  }
  card.appendChild(chips);

  const grid = element('dl', 'modelarts-fields');
  addField(grid, 'ID', text(image.id), { code: true, wide: true, field: 'id' });
  addField(grid, 'Description', text(image.description), { wide: true, field: 'description' });
  const categories = list(image.resource_categories);
  addField(grid, 'Resources', categories.length ? categories.join(', ') : null, {
    field: 'resource_categories'
  });
  addField(grid, 'Arch', text(image.arch), { field: 'arch' });
  addField(grid, 'Service type', text(image.service_type), { field: 'service_type' });
  addField(grid, 'Visibility', text(image.visibility), { field: 'visibility' });
  addField(grid, 'Origin', text(image.origin), { field: 'origin' });
  addField(grid, 'Type', text(image.type), { field: 'type' });
  addField(grid, 'Workspace', text(image.workspace_id), { field: 'workspace_id' });
  const size = formatSize(image.size);
  addField(grid, 'Size', size ?? text(image.size), {
    title: size ? `${text(image.size)} bytes` : undefined,
    field: 'size'
  });
  addTimeField(grid, 'Created', image.create_at, 'create_at');
  addTimeField(grid, 'Updated', image.update_at, 'update_at');
  addField(grid, 'SWR path', text(image.swr_path), { code: true, wide: true, field: 'swr_path' });
  card.appendChild(grid);
  return card;
}
