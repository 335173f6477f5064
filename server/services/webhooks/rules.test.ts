// Which addresses webhooks may reach, and how the retry waits are read and computed.
import { describe, expect, it } from 'vitest';
import { isInternalAddress, pinAddress, urlRefusal } from './addresses.js';
import { RETRY_SCHEDULE_S, retryAfterSeconds, retryDelayMs } from './dispatcher.js';

describe('webhook addresses', () => {
  it('tells internal addresses from public ones', () => {
    for (const address of [
      '127.0.0.1',
      '10.0.0.5',
      '172.31.255.1',
      '192.168.0.1',
      '100.64.0.1',
      '100.127.255.254',
      '169.254.169.254',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fd00::1',
      'fc12:3456::1',
      'fe80::1%eth0',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '64:ff9b::10.0.0.1',
      'not an address',
    ]) {
      expect(isInternalAddress(address), address).toBe(true);
    }
    for (const address of ['8.8.8.8', '100.128.0.1', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
      expect(isInternalAddress(address), address).toBe(false);
    }
  });

  it('refuses URLs before they are saved, unless the operator allows internal ones', () => {
    expect(urlRefusal('https://hooks.example.com/roster', false)).toBeNull();
    expect(urlRefusal('http://hooks.example.com/roster', false)).toMatch(/https/);
    expect(urlRefusal('https://127.0.0.1/', false)).toMatch(/operator/);
    expect(urlRefusal('https://app.localhost/', false)).toMatch(/operator/);
    expect(urlRefusal('https://[fd00::1]/', false)).toMatch(/operator/);
    expect(urlRefusal('https://u:p@hooks.example.com/', false)).toMatch(/user name/);
    expect(urlRefusal('http://127.0.0.1:8080/', true)).toBeNull();
    expect(urlRefusal('ftp://127.0.0.1/', true)).toMatch(/https/);
  });

  it('refuses a name when any address it resolves to is internal', async () => {
    const resolve = async () => [
      { address: '93.184.215.14', family: 4 },
      { address: '10.0.0.1', family: 4 },
    ];
    await expect(pinAddress('mixed.example', false, resolve)).rejects.toThrow(/10\.0\.0\.1/);
    await expect(pinAddress('mixed.example', true, resolve)).resolves.toEqual({ address: '93.184.215.14', family: 4 });
    await expect(pinAddress('[2606:4700::1]', false, resolve)).resolves.toEqual({
      address: '2606:4700::1',
      family: 6,
    });
  });
});

describe('webhook retries', () => {
  it('waits on the Standard Webhooks schedule, then every 12 hours, within 20%', () => {
    expect(retryDelayMs(1, () => 0.5)).toBe(5_000);
    expect(retryDelayMs(1, () => 0)).toBe(4_000);
    expect(retryDelayMs(1, () => 1)).toBe(6_000);
    expect(retryDelayMs(RETRY_SCHEDULE_S.length, () => 0.5)).toBe(36_000_000);
    expect(retryDelayMs(RETRY_SCHEDULE_S.length + 1, () => 0.5)).toBe(43_200_000);
    expect(retryDelayMs(30, () => 0.5)).toBe(43_200_000);
  });

  it('reads Retry-After as seconds or an HTTP date, at most a day', () => {
    const now = new Date('2026-06-01T09:00:00Z');
    expect(retryAfterSeconds('120', now)).toBe(120);
    expect(retryAfterSeconds(' 7 ', now)).toBe(7);
    expect(retryAfterSeconds('Mon, 01 Jun 2026 09:10:00 GMT', now)).toBe(600);
    expect(retryAfterSeconds('Mon, 01 Jun 2026 08:00:00 GMT', now)).toBe(0);
    expect(retryAfterSeconds('999999999', now)).toBe(86_400);
    expect(retryAfterSeconds('soon', now)).toBeNull();
    expect(retryAfterSeconds(null, now)).toBeNull();
  });
});
