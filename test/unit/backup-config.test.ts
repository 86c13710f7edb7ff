import { ConfigError, loadConfig } from '../../src/config';

describe('backup configuration', () => {
  it('is nightly with a retention policy by default', () => {
    expect(loadConfig({ HOME: '/home/op' }).backup).toEqual({ schedule: '30 2 * * *', keepDaily: 7, keepWeekly: 4, concurrency: 2, verifySample: 1, staleAfterHours: 26 });
  });

  it('takes a cron expression, or off', () => {
    expect(loadConfig({ TUTTI_BACKUP_SCHEDULE: '15 3 * * 1-5' }).backup.schedule).toBe('15 3 * * 1-5');
    expect(loadConfig({ TUTTI_BACKUP_SCHEDULE: 'off' }).backup.schedule).toBeNull();
    expect(() => loadConfig({ TUTTI_BACKUP_SCHEDULE: 'nightly' })).toThrow(/TUTTI_BACKUP_SCHEDULE="nightly": must be a five-field cron expression/);
    expect(() => loadConfig({ TUTTI_BACKUP_SCHEDULE: '0 2 * *' })).toThrow(ConfigError);
  });

  it('names the variable and the range of a bad number', () => {
    expect(() => loadConfig({ TUTTI_BACKUP_CONCURRENCY: '0' })).toThrow(/TUTTI_BACKUP_CONCURRENCY="0": TUTTI_BACKUP_CONCURRENCY must be between 1 and 32/);
    expect(() => loadConfig({ TUTTI_BACKUP_KEEP_DAILY: '1.5' })).toThrow(/TUTTI_BACKUP_KEEP_DAILY/);
    expect(loadConfig({ TUTTI_BACKUP_KEEP_WEEKLY: '0' }).backup.keepWeekly).toBe(0);
  });
});
