/**
 * The cells the "Register a ModelArts image" command inserts (pure, so it is unit-tested).
 */

/** The line that loads the IPython extension. */
export const LOAD_EXT_SOURCE = '%load_ext modelarts_magic';

/** A ready-to-edit registration cell; every value is a placeholder the user replaces. */
export const REGISTER_CELL_SOURCE = [
  '%%register_image --wait',
  'swr_path: swr.eu-de.otc.t-systems.com/my-namespace/my-image:latest',
  'description: ""',
  'resource_category: [CPU]',
  'services: [NOTEBOOK, SSH]'
].join('\n');

/** The sources to insert, in order, given the sources of the cells already in the notebook. */
export function cellsToInsert(existingSources: Iterable<string>): string[] {
  for (const source of existingSources) {
    if (source.includes(LOAD_EXT_SOURCE)) {
      return [REGISTER_CELL_SOURCE];
    }
  }
  return [LOAD_EXT_SOURCE, REGISTER_CELL_SOURCE];
}
