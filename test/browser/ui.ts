import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { UiStartExample, UiUpdateExample } from '../helpers/readme';

function decodeEntities(text: string): string {
  return text.replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16))).replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number(dec))).replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Where the screenshots of a run go (CI keeps test-artifacts/). */
export const ARTIFACTS = resolve(__dirname, '../../test-artifacts/browser');

/** Debian's Chromium (scripts/lib.sh installs it), or TUTTI_CHROMIUM. */
export function chromiumPath(): string {
  if (process.env.TUTTI_CHROMIUM) return process.env.TUTTI_CHROMIUM;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error("Debian's chromium is not installed: npm test installs it (apt-get install chromium), or set TUTTI_CHROMIUM");
  }
}

export async function launch(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath: chromiumPath(), headless: true });
}

/**
 * The Temporal Web UI as an operator uses it: the Start Workflow form, the workflow list's query,
 * a run's page and its Send Update dialog. Only what is on screen is used: labels, roles, texts.
 */
export class TemporalUi {
  constructor(
    readonly page: Page,
    private readonly base: string,
    private readonly namespace: string,
  ) {}

  async shot(name: string): Promise<string> {
    const path = join(ARTIFACTS, `${name}.png`);
    await this.page.screenshot({ path, fullPage: true });
    return path;
  }

  async openWorkflows(): Promise<void> {
    this.page.setDefaultTimeout(30_000);
    await this.page.goto(`${this.base}/namespaces/${this.namespace}/workflows`);
    await this.page.getByRole('button', { name: 'Start Workflow' }).waitFor();
  }

  /** Fills the Start Workflow form with a README example and submits it. */
  async startWorkflow(taskQueue: string, example: UiStartExample, shotName?: string): Promise<void> {
    await this.openWorkflows();
    await this.page.getByRole('button', { name: 'Start Workflow' }).click();
    await this.page.getByLabel('Workflow ID').fill(example.workflowId);
    await this.page.getByLabel('Task Queue').fill(taskQueue);
    await this.page.getByLabel('Workflow Type').fill(example.workflowType);
    await this.page.getByLabel('json/plain').check();
    await this.typeInEditor(this.page.locator('.cm-content').first(), example.inputText);
    if (shotName) await this.shot(shotName);
    await this.page.getByRole('button', { name: 'Start Workflow' }).last().click();
    // the UI confirms with a toast whose link opens the new run
    await this.page.getByText('Workflow started successfully').click({ timeout: 30_000 });
    await this.page.waitForURL((url) => url.pathname.includes(`/workflows/${encodeURIComponent(example.workflowId)}/`), { timeout: 30_000 });
  }

  /** Types a query into the workflow list's query box, as an operator pastes a saved one. */
  async findWorkflows(query: string): Promise<void> {
    await this.openWorkflows();
    const box = this.page.getByPlaceholder('Enter a query');
    if (!(await box.isVisible())) await this.page.getByTestId('toggle-manual-query').click();
    await box.fill(query);
    await box.press('Enter');
    await this.page.waitForURL((url) => url.searchParams.get('query') === query);
  }

  /** The workflow IDs of the rows the list shows (each row's checkbox is labelled with it). */
  async listedWorkflowIds(): Promise<string[]> {
    const labels = await this.page.getByRole('checkbox', { name: /^Select Workflow / }).evaluateAll((es) => es.map((e) => e.getAttribute('aria-label') ?? ''));
    // the UI escapes the label's text itself (site&#x2F;acme); each row appears twice (wide and narrow layouts)
    return [...new Set(labels.map((l) => decodeEntities(l.replace(/^Select Workflow /, ''))))];
  }

  async openRun(workflowId: string): Promise<void> {
    await this.page.getByRole('link', { name: workflowId, exact: true }).locator('visible=true').first().click();
    await this.page.waitForURL((url) => url.pathname.includes(`/workflows/${encodeURIComponent(workflowId)}/`));
  }

  /**
   * More Actions → Send an Update → pick the update from the list the worker declares (each with
   * its description) → JSON data → Submit. Returns the text of the picked entry once the dialog
   * closed; with `refusedWith`, expects the dialog to stay open showing that error, then cancels it.
   */
  async sendUpdate(update: Pick<UiUpdateExample, 'name' | 'inputText'>, opts: { shot?: string; refusedWith?: RegExp } = {}): Promise<string> {
    await this.page.getByRole('button', { name: 'More Actions' }).click();
    await this.page.getByTestId('update-button').locator('visible=true').first().click();
    const dialog = this.page.locator('dialog[open][data-testid="update-confirmation-modal"]');
    await dialog.getByTestId('update-select-button').click();
    const option = dialog.getByRole('option').filter({ hasText: update.name }).first();
    await option.waitFor();
    if (opts.shot) await this.shot(`${opts.shot}-list`);
    const text = await option.innerText();
    await option.click();
    await this.typeInEditor(dialog.locator('.cm-content').first(), update.inputText);
    if (opts.shot) await this.shot(opts.shot);
    await dialog.getByTestId('confirm-modal-button').click();
    if (opts.refusedWith) {
      await dialog.getByText(opts.refusedWith).first().waitFor();
      if (opts.shot) await this.shot(`${opts.shot}-refused`);
      await dialog.getByRole('button', { name: 'Cancel', exact: true }).last().click();
    }
    await dialog.waitFor({ state: 'hidden', timeout: 60_000 });
    return text;
  }

  /**
   * The run's User Metadata tab: static summary and details, and the current details — rendered as
   * markdown in sandboxed frames, so read from every frame. Waits until `expected` shows.
   */
  async userMetadata(expected: string[]): Promise<string> {
    await this.page.getByText('User Metadata', { exact: true }).locator('visible=true').first().click();
    let text = '';
    for (let i = 0; i < 60; i++) {
      const parts = await Promise.all(this.page.frames().map((f) => f.locator('body').innerText().catch(() => '')));
      text = parts.join('\n');
      if (expected.every((e) => text.includes(e))) return text;
      await this.page.waitForTimeout(500);
    }
    throw new Error(`User Metadata does not show ${JSON.stringify(expected)}; it shows: ${text.slice(0, 2000)}`);
  }

  private async typeInEditor(editor: ReturnType<Page['locator']>, text: string): Promise<void> {
    await editor.click();
    await this.page.keyboard.press('Control+A');
    await this.page.keyboard.press('Delete');
    await this.page.keyboard.insertText(text);
    // leaving the editor reformats the JSON, which moves what is below it: leave it before clicking on
    await editor.blur();
    await this.page.waitForTimeout(300);
  }
}
