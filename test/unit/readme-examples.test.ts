import type { z } from 'zod';
import { backupSiteInputSchema, fleetBackupInputSchema, restoreSiteInputSchema, verifyBackupInputSchema } from '../../src/backup/inputs';
import { migrateSiteInputSchema, rejectArgsSchema } from '../../src/migrate/input';
import { upgradeFleetInputSchema } from '../../src/site/fleet';
import { siteWorkflowId } from '../../src/site/names';
import { rotateSiteSecretsInputSchema } from '../../src/site/secrets';
import { createSiteInputSchema, slugFromDomain } from '../../src/site/spec';
import { upgradeSiteInputSchema } from '../../src/site/upgrade';
import { renewCertificatesInputSchema } from '../../src/site/tls';
import { checkPlatformInputSchema } from '../../workflows/checkPlatform';
import { deleteSiteInputSchema } from '../../workflows/deleteSite';
import * as workflows from '../../workflows';
import { siteCronInputSchema } from '../../workflows/siteCron';
import { parseReadmeUi, readmeUi } from '../helpers/readme';

/** Each workflow's input schema and, for site operations, the slug its workflow ID must carry. */
const contracts: Record<string, { schema: z.ZodType; siteId?: (input: Record<string, unknown>) => string }> = {
  checkPlatform: { schema: checkPlatformInputSchema },
  createSite: { schema: createSiteInputSchema, siteId: (i) => (i.slug as string) ?? slugFromDomain((i.domains as string[])[0]!) },
  deleteSite: { schema: deleteSiteInputSchema, siteId: (i) => i.site as string },
  rotateSiteSecrets: { schema: rotateSiteSecretsInputSchema, siteId: (i) => i.site as string },
  siteCron: { schema: siteCronInputSchema },
  upgradeSite: { schema: upgradeSiteInputSchema, siteId: (i) => i.site as string },
  upgradeFleet: { schema: upgradeFleetInputSchema },
  backupSite: { schema: backupSiteInputSchema, siteId: (i) => i.site as string },
  restoreSite: { schema: restoreSiteInputSchema, siteId: (i) => (i.to ? (i.slug as string) ?? slugFromDomain(i.to as string) : (i.site as string)) },
  fleetBackup: { schema: fleetBackupInputSchema },
  verifyBackup: { schema: verifyBackupInputSchema },
  migrateSite: { schema: migrateSiteInputSchema, siteId: (i) => (i.slug as string) ?? slugFromDomain((i.domains as string[])[0]!) },
  renewCertificates: { schema: renewCertificatesInputSchema },
};

describe("the README's UI examples", () => {
  const ui = readmeUi();

  it('name the task queue the worker polls', () => {
    expect(ui.taskQueue).toBe('tutti');
  });

  it('cover every workflow of the bundle, and only those', () => {
    const documented = new Set(ui.starts.map((s) => s.workflowType));
    expect([...documented].sort()).toEqual(Object.keys(workflows).sort());
    expect(Object.keys(contracts).sort()).toEqual(Object.keys(workflows).sort());
  });

  it.each(readmeUi().starts.map((s) => [`${s.workflowType} ${s.workflowId}`, s] as const))('%s: input passes the workflow schema and the ID follows the convention', (_, example) => {
    const contract = contracts[example.workflowType]!;
    const parsed = contract.schema.safeParse(example.input);
    if (!parsed.success) throw new Error(`${example.workflowType}: ${parsed.error.message}`);
    if (contract.siteId) expect(example.workflowId).toBe(siteWorkflowId(contract.siteId(example.input as Record<string, unknown>)));
    else expect(example.workflowId).not.toMatch(/^site\//);
  });

  it('show each approval and fleet control with an input its validator accepts', () => {
    const names = ui.updates.map((u) => u.name).sort();
    expect(names).toEqual(['approveMigration', 'continueFleet', 'rejectMigration', 'stopFleet']);
    const reject = ui.updates.find((u) => u.name === 'rejectMigration')!;
    expect(rejectArgsSchema.safeParse(reject.input).success).toBe(true);
    const stop = ui.updates.find((u) => u.name === 'stopFleet')!;
    expect((stop.input as { reason: string }).reason.trim()).not.toBe('');
  });

  it('give the saved queries the browser tests type', () => {
    expect(ui.queries.get('every run for site acme')).toBe('TuttiSite = "acme"');
    expect(ui.queries.get('migrations waiting for approval')).toMatch(/TuttiStage = "awaiting-approval" AND ExecutionStatus = "Running"/);
    for (const q of ui.queries.values()) expect(q).toMatch(/^(Tutti\w+|ExecutionStatus) = "[^"]+"/);
  });
});

describe('parseReadmeUi', () => {
  const head = 'To start one in the UI: Task Queue `q`.\n';
  it('reads inline and block examples, updates and query rows', () => {
    const md = `${head}### a\nUI example — Workflow Type \`a\`, Workflow ID \`x/1\`: \`{ "k": 1 }\`\nUI example — Workflow Type \`b\`, Workflow ID \`x/2\`:\n\`\`\`json\n{ "k":\n  2 }\n\`\`\`\nUI update — \`u\`: \`{}\`\n### Finding runs in the UI\n| question | query |\n|---|---|\n| all of a | \`TuttiSite = "a"\` |\n`;
    const ui = parseReadmeUi(md);
    expect(ui.taskQueue).toBe('q');
    expect(ui.starts.map((s) => [s.workflowType, s.workflowId, s.input])).toEqual([
      ['a', 'x/1', { k: 1 }],
      ['b', 'x/2', { k: 2 }],
    ]);
    expect(ui.updates).toEqual([{ section: 'a', name: 'u', inputText: '{}', input: {} }]);
    expect([...ui.queries]).toEqual([['all of a', 'TuttiSite = "a"']]);
  });

  it('refuses an example that is not JSON, or has no block after it', () => {
    expect(() => parseReadmeUi(`${head}### a\nUI example — Workflow Type \`a\`, Workflow ID \`x\`: \`{ k: 1 }\`\n`)).toThrow(/a a: the example is not JSON/);
    expect(() => parseReadmeUi(`${head}### a\nUI example — Workflow Type \`a\`, Workflow ID \`x\`:\ntext\n`)).toThrow(/must be followed by a ```json block/);
    expect(() => parseReadmeUi('### a\n')).toThrow(/no "To start one in the UI/);
  });
});
