/**
 * The mime renderer extension: draws `application/vnd.modelarts.image+json` outputs as a card.
 */
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';

import { IMAGE_MIME_TYPE, renderImageCard } from './card';

/** A widget holding one Image card; re-rendered whenever the output's data changes. */
export class ImageCardRenderer extends Widget implements IRenderMime.IRenderer {
  constructor(options: IRenderMime.IRendererOptions) {
    super();
    this._mimeType = options.mimeType;
    this.addClass('modelarts-image-output');
  }

  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    this.node.replaceChildren(renderImageCard(model.data[this._mimeType]));
    return Promise.resolve();
  }

  private _mimeType: string;
}

export const rendererFactory: IRenderMime.IRendererFactory = {
  // Safe: the card is built with textContent only, so it may render in untrusted notebooks.
  safe: true,
  mimeTypes: [IMAGE_MIME_TYPE],
  createRenderer: options => new ImageCardRenderer(options)
};

const extension: IRenderMime.IExtension = {
  id: 'modelarts-magic:image-renderer',
  description: 'Renders ModelArts images returned by %%register_image.',
  rendererFactory,
  // rendermime sorts ascending and text/html sits at 50: rank 0 wins over our own HTML fallback.
  rank: 0,
  dataType: 'json'
};

export default extension;
