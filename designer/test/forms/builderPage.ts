import type { Page } from 'playwright-core';

/** The form builder's dialog of the component being edited. */
export const builderDialog = (page: Page) => page.locator('.attest-form-builder-dialog .formio-dialog');

/** An input of that dialog by its key, e.g. `label` or `attest.unit`. */
export const dialogField = (page: Page, key: string) => builderDialog(page).locator(`[name="data[${key}]"]`);

/** Drags a palette entry onto the end of the form, as QA does with the mouse (dragula); its dialog opens. */
export async function dragComponent(page: Page, entry: string): Promise<void> {
  const source = (await page.locator(`.formcomponent[data-key="${entry}"]`).boundingBox())!;
  const target = (await page.locator('.formarea .drag-container').first().boundingBox())!;
  await page.mouse.move(source.x + 20, source.y + source.height / 2);
  await page.mouse.down();
  await page.mouse.move(source.x + 60, source.y + 30, { steps: 5 });
  await page.mouse.move(target.x + 120, target.y + target.height - 8, { steps: 10 });
  await page.mouse.up();
  await page.waitForSelector('.attest-form-builder-dialog .formio-dialog');
}
