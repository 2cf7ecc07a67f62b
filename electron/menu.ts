/** The application menu as a pure template, so a test can check it without Electron. */
import type { MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  openProject(): void;
  openVolume(): void;
  openLabel(): void;
}

export function menuTemplate(actions: MenuActions, options: { devTools: boolean; mac: boolean }): MenuItemConstructorOptions[] {
  const view: MenuItemConstructorOptions[] = [{ role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }];
  if (options.devTools) view.unshift({ role: 'reload' }, { role: 'toggleDevTools' }, { type: 'separator' });
  return [
    ...(options.mac ? [{ role: 'appMenu' } as MenuItemConstructorOptions] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Open Project…', accelerator: 'CmdOrCtrl+Shift+O', click: () => actions.openProject() },
        { label: 'Open Volume…', accelerator: 'CmdOrCtrl+O', click: () => actions.openVolume() },
        { label: 'Open Label…', accelerator: 'CmdOrCtrl+L', click: () => actions.openLabel() },
        { type: 'separator' },
        options.mac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { label: 'View', submenu: view },
    { role: 'windowMenu' },
  ];
}

/** File types offered by the open dialogs (the engine detects formats by content; these only filter the list). */
export const VOLUME_FILTERS = [
  { name: 'Volumes', extensions: ['nii', 'gz', 'nrrd', 'nhdr', 'mha', 'mhd', 'tif', 'tiff', 'h5', 'hdf5', 'dcm', 'mnc', 'zarr'] },
  { name: 'All files', extensions: ['*'] },
];
