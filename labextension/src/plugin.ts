/**
 * The front-end plugin: the "Register a ModelArts image" command, in the palette, the notebook
 * toolbar and the cell context menu.
 */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker, Notebook, NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import { CommandToolbarButton } from '@jupyterlab/ui-components';

import { cellsToInsert } from './cells';

/** The command id; stable, tests and users' shortcuts refer to it. */
export const INSERT_REGISTER_CELL = 'modelarts-magic:insert-register-cell';

/** Insert the registration cell (and `%load_ext` when missing) below the active cell. */
export function insertRegisterCells(notebook: Notebook): void {
  const model = notebook.model;
  if (!model) {
    return;
  }
  const existing: string[] = [];
  for (let index = 0; index < model.cells.length; index++) {
    existing.push(model.cells.get(index).sharedModel.getSource());
  }
  for (const source of cellsToInsert(existing)) {
    // insertBelow leaves the new cell active, so the next one goes below it.
    NotebookActions.insertBelow(notebook);
    NotebookActions.changeCellType(notebook, 'code');
    notebook.activeCell?.model.sharedModel.setSource(source);
  }
  notebook.mode = 'edit';
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'modelarts-magic:register-command',
  description: 'Adds "Register a ModelArts image", which inserts a %%register_image cell.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    palette: ICommandPalette | null
  ): void => {
    app.commands.addCommand(INSERT_REGISTER_CELL, {
      label: 'Register a ModelArts image',
      caption: 'Insert a ready-to-edit %%register_image cell below the active cell',
      isEnabled: () => tracker.currentWidget !== null,
      execute: () => {
        const panel = tracker.currentWidget;
        if (panel) {
          insertRegisterCells(panel.content);
        }
      }
    });
    palette?.addItem({ command: INSERT_REGISTER_CELL, category: 'ModelArts' });
    app.contextMenu.addItem({
      command: INSERT_REGISTER_CELL,
      selector: '.jp-Notebook .jp-Cell',
      rank: 20
    });
    app.docRegistry.addWidgetExtension('Notebook', {
      createNew: (panel: NotebookPanel) => {
        const button = new CommandToolbarButton({
          commands: app.commands,
          id: INSERT_REGISTER_CELL,
          label: 'ModelArts image'
        });
        button.addClass('modelarts-toolbar-button');
        panel.toolbar.insertAfter('cellType', 'modelarts-register', button);
        return button;
      }
    });
  }
};

export default plugin;
